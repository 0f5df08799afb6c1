"""A run through (nearly) every resource and background path of a server in emulator mode, with
the real twilio-python client where it can send the request: what tests/test_account_scoping.py
records the SQL of. Two accounts take part, so a statement that forgot its account would show in
the other's answers too (the tests of each resource check that); here the point is the statements.
"""

from __future__ import annotations

import time

import httpx
from twilio.rest import Client

from tests.conftest import Account, make_client, new_account
from tests.support.receiver import receiving

ON = "true"


def run_workload(url: str) -> None:
    for _ in range(2):
        account = new_account(url)
        _one_account(url, account)


def _client(url: str, account: Account) -> Client:
    client = make_client(url, account)
    client.api.base_url = url
    return client


def _one_account(url: str, account: Account) -> None:
    client = _client(url, account)
    v1 = client.conversations.v1
    http = httpx.Client(base_url=url, auth=(account.sid, account.token), timeout=30)
    with receiving() as receiver, http:
        # Configuration, account webhooks (pointed at a real receiver), credentials, keys.
        v1.configuration().fetch()
        v1.configuration().update(default_inactive_timer="PT5M", default_closed_timer="PT10M")
        v1.configuration.webhooks().update(post_webhook_url=receiver.url + "/post", method="POST", filters=[])
        v1.configuration.webhooks().update(
            post_webhook_url=receiver.url + "/post",
            pre_webhook_url=receiver.url + "/pre",
            method="POST",
            filters=["onMessageAdded", "onConversationAdded", "onParticipantAdded", "onConversationStateUpdated"],
        )
        v1.configuration.webhooks().fetch()
        cred = v1.credentials.create(type="fcm", friendly_name="push", secret="s3cret")
        v1.credentials(cred.sid).update(friendly_name="push 2")
        v1.credentials(cred.sid).fetch()
        list(v1.credentials.list())
        key = client.api.v2010.accounts(account.sid).new_keys.create(friendly_name="k")
        client.api.v2010.accounts(account.sid).keys(key.sid).update(friendly_name="k2")
        client.api.v2010.accounts(account.sid).keys(key.sid).fetch()
        list(client.api.v2010.accounts(account.sid).keys.list())
        httpx.get(url + "/v1/Users", auth=(key.sid, key.secret))
        addr = v1.address_configurations.create(type="sms", address="+15550001" + str(time.time_ns() % 1000).zfill(3))
        v1.address_configurations(addr.sid).update(friendly_name="front desk")
        v1.address_configurations(addr.sid).fetch()
        list(v1.address_configurations.list())

        # A service of its own, with its configuration, notifications, webhooks and roles.
        service = v1.services.create(friendly_name="scoped")
        svc = v1.services(service.sid)
        svc.configuration().fetch()
        svc.configuration().update(reachability_enabled=True)
        svc.configuration.notifications().update(new_message_enabled=True, new_message_template="hi")
        svc.configuration.notifications().fetch()
        svc.configuration.webhooks().update(post_webhook_url=receiver.url + "/svc", filters=["onMessageAdded"])
        svc.configuration.webhooks().fetch()
        role = svc.roles.create(friendly_name="helper", type="conversation", permission=["sendMessage"])
        svc.roles(role.sid).update(permission=["sendMessage", "leaveConversation"])
        svc.roles(role.sid).fetch()
        list(svc.roles.list())
        list(v1.roles.list())
        v1.services(service.sid).fetch()
        list(v1.services.list())

        # Users, in the default service and in the new one.
        for users in (v1.users, svc.users):
            user = users.create(identity="alice", friendly_name="Alice", attributes='{"a": 1}')
            users(user.sid).update(friendly_name="Alice A.")
            users("alice").fetch()
            list(users.list())
            users.create(identity="bob")

        # Conversations with everything in them, both URL forms.
        for convs, parts_of, user_convs in (
            (v1.conversations, v1.conversations, v1.users),
            (svc.conversations, svc.conversations, svc.users),
        ):
            conv = convs.create(
                friendly_name="c",
                unique_name="uniq",
                state="active",
                timers_inactive="PT1M",
                x_twilio_webhook_enabled=ON,
            )
            convs("uniq").fetch()
            convs(conv.sid).update(friendly_name="c2", x_twilio_webhook_enabled=ON)
            list(convs.list())
            parts = parts_of(conv.sid).participants
            alice = parts.create(identity="alice", x_twilio_webhook_enabled=ON)
            parts.create(identity="carol")  # a new user on the fly
            sms = parts.create(messaging_binding_address="+15557770000", messaging_binding_proxy_address=addr.address)
            msgs = parts_of(conv.sid).messages
            first = msgs.create(body="hello", author="alice", x_twilio_webhook_enabled=ON)
            msgs.create(body="second", author="carol")
            # Media (MCS): an upload, its record and bytes, then a message that carries it.
            mcs = f"/_chinwag/mcs/v1/Services/{conv.chat_service_sid}/Media"
            png = {"Content-Type": "image/png"}
            upload = http.post(mcs, params={"Filename": "a.png"}, content=b"\x89PNG", headers=png).json()
            http.get(f"{mcs}/{upload['sid']}")
            http.get(f"{mcs}/{upload['sid']}/Content")
            msgs.create(media_sid=[upload["sid"]], author="alice")
            http.post(conv.url + "/Messages", data={"MediaSid": upload["sid"]})  # already sent: a 409
            msgs(first.sid).update(body="hello!", attributes='{"edited": true}')
            msgs(first.sid).fetch()
            list(msgs.list(order="desc"))
            list(msgs(first.sid).delivery_receipts.list())
            for receipt in msgs(first.sid).delivery_receipts.list():
                msgs(first.sid).delivery_receipts(receipt.sid).fetch()
            parts(alice.sid).update(last_read_message_index=0)
            parts(alice.sid).fetch()
            parts("alice").fetch()  # by identity
            http.post(
                "/_chinwag/v1/Receipts",
                data={"MessageSid": first.sid, "ParticipantSid": sms.sid, "Status": "delivered"},
            )
            http.get(f"/v1/Conversations/{conv.sid}/Participants/MB{'0' * 32}")  # a 404 with a hint
            http.get(f"/v1/Users/alice/Conversations/CH{'0' * 32}")
            parts(sms.sid).update(messaging_binding_proxy_address="+15550009999")  # a new open pair
            list(parts.list())
            list(user_convs("alice").user_conversations.list())
            user_convs("alice").user_conversations(conv.sid).update(notification_level="muted")
            user_convs("alice").user_conversations(conv.sid).update(last_read_message_index=1)
            # Joining with a horizon: twilio-python's create has no LastReadMessageIndex.
            http.post(conv.url + "/Participants", data={"Identity": "dave", "LastReadMessageIndex": "0"})
            user_convs("alice").user_conversations(conv.sid).fetch()
            hook = parts_of(conv.sid).webhooks.create(
                target="webhook", configuration_url=receiver.url + "/scoped", configuration_filters=["onMessageAdded"]
            )
            parts_of(conv.sid).webhooks(hook.sid).update(configuration_method="GET")
            parts_of(conv.sid).webhooks(hook.sid).fetch()
            list(parts_of(conv.sid).webhooks.list())
            parts_of(conv.sid).webhooks(hook.sid).delete()
            msgs(first.sid).delete()
            parts(sms.sid).delete()
            convs(conv.sid).update(state="closed")  # releases the SMS bindings
            user_convs("carol").user_conversations(conv.sid).delete()
        list(v1.participant_conversations.list(identity="alice"))
        list(svc.participant_conversations.list(identity="alice"))
        v1.conversation_with_participants.create(friendly_name="cwp", participant=['{"identity": "alice"}'])
        list(v1.services(service.sid).bindings.list())

        # A client acting (pre-events), the simulated phone, timers, the delivery log, the journal.
        as_alice = {"X-Chinwag-Client-Identity": "alice"}
        conv = v1.conversations.create(friendly_name="client", state="active", timers_inactive="PT1M")
        v1.conversations(conv.sid).participants.create(identity="alice")
        http.post(f"/v1/Conversations/{conv.sid}/Messages", data={"Body": "from the app"}, headers=as_alice)
        http.post("/_chinwag/v1/Inbound", data={"From": "+15557770001", "To": addr.address, "Body": "text in"})
        http.get("/_chinwag/v1/Outbound")
        http.post("/_chinwag/v1/Clock", data={"Advance": "120"})
        http.get("/_chinwag/v1/Clock")
        receiver.wait_for(3, timeout=15)
        time.sleep(0.5)
        deliveries = http.get("/_chinwag/v1/WebhookDeliveries", params={"PageSize": "5"}).json()["deliveries"]
        http.get("/_chinwag/v1/WebhookDeliveries/" + deliveries[0]["sid"])
        http.post(f"/_chinwag/v1/WebhookDeliveries/{deliveries[0]['sid']}/Replay")
        time.sleep(0.3)  # the journal is written ~50 ms after a request
        http.get("/_chinwag/v1/Requests")
        http.get("/_chinwag/v1/WebhookDeliveries", params={"Wait": "0.2", "Count": "1000"})
        http.get("/v1/Users/nobody")  # a 404 with a hint: the emulator looks elsewhere
        http.get(f"/v1/Conversations/CH{'0' * 32}")
        http.get("/v1/Users", params={"PageSize": "1"})

        # Deleting, then the whole account's state: snapshot out, reset, snapshot back in.
        svc.roles(role.sid).delete()
        v1.users("bob").delete()
        v1.conversations(conv.sid).participants.create(identity="erin")
        v1.users("erin").delete()  # a user with a membership: its conversation's realtime events
        v1.conversations(conv.sid).delete()
        v1.credentials(cred.sid).delete()
        v1.address_configurations(addr.sid).delete()
        client.api.v2010.accounts(account.sid).keys(key.sid).delete()
        snapshot = http.get("/_chinwag/v1/Snapshot")
        http.post("/_chinwag/v1/Reset")
        http.put("/_chinwag/v1/Snapshot", content=snapshot.content, headers={"Content-Type": "application/json"})
        svc.delete()
