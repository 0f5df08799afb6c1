"""The account-scoping rule for one SQL statement (tests/test_account_scoping.py, docs/SCALING.md).

Every row of an account-owned table belongs to exactly one account, and every SID (and integer
`id`) names exactly one row. So a statement stays inside one account when each account-owned table
it reads or writes is **bound** by one of its *owner keys*, a column whose one value belongs to a
single account:

- `account_sid` itself; `chat_service_sid` (a service belongs to one account);
- a parent's key: `conversation_sid`, `conversation_id`, `message_sid`, `user_sid`,
  `participant_sid`, `role_sid`, and `lane` of webhook deliveries (a receiver and one conversation
  or user);
- the row's own key: `sid`, `id` (`accounts`: its `sid` is the account).

A table is bound in a query block (a SELECT, UPDATE or DELETE, each subquery and each arm of a
UNION its own block) when a top-level `AND` term of its WHERE, or of a JOIN's ON, is
`owner_key = ?`, `owner_key IN (?, …)`, `owner_key = (subquery)` or `owner_key IN (subquery)`
with the subquery itself bound, or `owner_key = other.column` with `other` a source already bound
in that block (a join from a bound row) or, for a subquery inside an expression, in a block around
it (a correlated reference to a bound row). A derived source (a CTE, a subquery in FROM, `unnest(…)`
of array parameters, VALUES) counts as bound when every account-owned table inside it is. An
INSERT is bound when it writes an owner key among its columns (the new row names its account or
service); an INSERT … SELECT's SELECT is judged as a block of its own. An `OR` binds nothing.
Statements are read as PostgreSQL receives them (`$n` parameters).

What this does not see is where a bound value came from: that a SID in a URL belongs to the
requesting account is checked by the domain (a read bound by `account_sid`/`chat_service_sid` first,
in the same transaction) and by each resource's "other accounts see nothing" tests.

`tenant_bound` is the stricter reading a Citus-style distribution by `account_sid` routes on: every
account-owned table bound by `account_sid` or `chat_service_sid` (a service's rows colocated with
its account) rather than by a row or parent key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp

from chinwag.storage.dialect import to_postgres

Node = Any  # a sqlglot expression node (its base class changed name across versions)

# Tables that belong to no account: the migrations' bookkeeping, the one-row credentials counter,
# and the outbox's lane index (a lane's deliveries are account rows; the index is the dispatcher's).
MACHINERY = frozenset({"alembic_version", "credentials_epoch", "webhook_lanes"})
OWNER_KEYS = frozenset(
    {
        "account_sid",
        "chat_service_sid",
        "conversation_sid",
        "conversation_id",
        "message_sid",
        "user_sid",
        "participant_sid",
        "role_sid",
        "lane",
        "sid",
        "id",
    }
)
TENANT_KEYS = frozenset({"account_sid", "chat_service_sid"})
# `accounts` is keyed by the account's own SID.
TABLE_TENANT_KEYS = {"accounts": frozenset({"sid"})}


@dataclass(frozen=True)
class Verdict:
    unbound: tuple[str, ...]  # account-owned tables the statement reaches without an owner key
    not_tenant_bound: tuple[str, ...]  # … without account_sid / chat_service_sid

    @property
    def bound(self) -> bool:
        return not self.unbound


def judge(sql: str, columns: Mapping[str, Iterable[str]]) -> Verdict:
    """`columns`: every table of the schema → its columns (to place unqualified column names)."""
    # As PostgreSQL receives it (`$n` parameters): sqlglot reads `$1::text[]`, not `?::text[]`.
    tree = sqlglot.parse_one(to_postgres(sql), read="postgres")
    ctes = {cte.alias_or_name: cte.this for cte in tree.find_all(exp.CTE)}
    ctx = _Ctx({name: frozenset(cols) for name, cols in columns.items()}, ctes)
    unbound: list[str] = []
    loose: list[str] = []
    for block in _blocks(tree):
        for table, keys in _bindings(block, ctx).items():
            if table in MACHINERY:
                continue
            if not keys:
                unbound.append(table)
            elif not keys & TABLE_TENANT_KEYS.get(table, TENANT_KEYS):
                loose.append(table)
    return Verdict(tuple(unbound), tuple(loose))


@dataclass(frozen=True)
class _Ctx:
    columns: Mapping[str, frozenset[str]]  # the schema's tables
    ctes: Mapping[str, Node]  # WITH names → their queries


DERIVED = "(derived)"  # the key a bound CTE, subquery, VALUES or unnest source counts as bound by


def _blocks(tree: Node) -> list[Node]:
    return [node for node in tree.walk() if isinstance(node, exp.Select | exp.Update | exp.Delete | exp.Insert)]


def _sources(block: Node) -> list[Node]:
    """What this block itself reads or writes: its target, FROM and JOINs."""
    found: list[Node] = []
    if isinstance(block, exp.Insert):
        target = block.this
        return [target.this if isinstance(target, exp.Schema) else target]
    if isinstance(block, exp.Update | exp.Delete):
        found.append(block.this)
    from_ = block.args.get("from_") or block.args.get("from")
    if from_ is not None:
        found.append(from_.this)
    found += [join.this for join in block.args.get("joins") or []]
    using = block.args.get("using")  # DELETE … USING
    if using:
        found += list(using) if isinstance(using, list) else [using]
    return found


def _bindings(block: Node, ctx: _Ctx) -> dict[str, set[str]]:
    """schema table name → the owner keys that bind it in this block (empty: unbound)."""
    tables, keys, own = _scope(block, ctx, shallow=False)
    found = {name: keys[alias] for alias, name in tables.items()}
    # A CTE, subquery or unnest source that is not bound itself leaves the block unbound too.
    found.update({f"(derived {alias})": set() for alias in own if alias not in tables and not keys[alias]})
    return found


def _scope(block: Node, ctx: _Ctx, *, shallow: bool) -> tuple[dict[str, str], dict[str, set[str]], set[str]]:
    """(alias → schema table of this block's own tables, alias → owner keys binding it for every
    source in sight, this block's own aliases). A subquery in an expression sees the bound sources
    of the blocks around it (a correlated reference: `WHERE m.conversation_sid =
    participants.conversation_sid` inside an UPDATE of one participant). `shallow`: subqueries do
    not count as values here (what an inner block sees of an outer one, without going round)."""
    keys: dict[str, set[str]] = {}
    outer = _enclosing(block)
    if outer is not None:
        keys.update({alias: k for alias, k in _scope(outer, ctx, shallow=True)[1].items() if k})
    tables: dict[str, str] = {}
    own: set[str] = set()
    for source in _sources(block):
        alias = source.alias_or_name
        own.add(alias)
        if isinstance(source, exp.Table) and source.name in ctx.columns:
            tables[alias] = source.name
            keys[alias] = set()
        elif isinstance(source, exp.Table) and source.name in ctx.ctes:
            keys[alias] = {DERIVED} if _all_bound(ctx.ctes[source.name], ctx) else set()
        else:  # a subquery, VALUES or unnest(…): bound when every table inside is
            keys[alias] = {DERIVED} if _all_bound(source, ctx) else set()
    if isinstance(block, exp.Insert):  # INSERT … SELECT: the SELECT is a block of its own
        schema = block.this
        written = {c.name for c in schema.expressions} if isinstance(schema, exp.Schema) else set()
        for alias in tables:
            keys[alias] = written & OWNER_KEYS
        return tables, keys, own
    terms: list[Node] = []
    where = block.args.get("where")
    if where is not None:
        terms += _conjuncts(where.this)
    for join in block.args.get("joins") or []:
        on = join.args.get("on")
        if on is not None:
            terms += _conjuncts(on)
    changed = True
    while changed:  # joins bind from bound sources: repeat until nothing new is bound
        changed = False
        for term in terms:
            for alias, key in _binds(term, tables, keys, ctx, shallow):
                if key not in keys[alias]:
                    keys[alias].add(key)
                    changed = True
    return tables, keys, own


def _enclosing(block: Node) -> Node | None:
    """The block a subquery in an expression sits in; None for a statement, a CTE's query or a
    derived table in FROM/JOIN (neither can refer to the query around it)."""
    node = block.parent
    while node is not None:
        if isinstance(node, exp.CTE | exp.From | exp.Join):
            return None
        if isinstance(node, exp.Select | exp.Update | exp.Delete | exp.Insert):
            return node
        node = node.parent
    return None


def _all_bound(node: Node, ctx: _Ctx) -> bool:
    """Every account-owned table read inside `node` is bound (true when there is none)."""
    return all(
        table in MACHINERY or bool(bound) for block in _blocks(node) for table, bound in _bindings(block, ctx).items()
    )


def _conjuncts(node: Node) -> list[Node]:
    node = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def _binds(
    term: Node, tables: Mapping[str, str], keys: Mapping[str, set[str]], ctx: _Ctx, shallow: bool
) -> list[tuple[str, str]]:
    """(alias, owner key) pairs this term binds."""
    if isinstance(term, exp.EQ):
        sides = [(term.this, term.expression), (term.expression, term.this)]
    elif isinstance(term, exp.In):
        sides = [(term.this, term.args.get("query") or exp.Tuple(expressions=term.expressions))]
    else:
        return []
    bound = []
    for column, value in sides:
        if not isinstance(column, exp.Column) or column.name not in OWNER_KEYS:
            continue
        owner = _owner(column, tables, keys, ctx)
        if owner is not None and owner in tables and _fixed(value, tables, keys, ctx, shallow):
            bound.append((owner, column.name))
    return bound


def _owner(column: exp.Column, tables: Mapping[str, str], keys: Mapping[str, set[str]], ctx: _Ctx) -> str | None:
    """The alias of the block's source the column belongs to (None: another block's, or unknown)."""
    if column.table:
        return column.table if column.table in keys else None
    having = [alias for alias, name in tables.items() if column.name in ctx.columns.get(name, ())]
    return having[0] if len(having) == 1 else None


def _fixed(value: Node, tables: Mapping[str, str], keys: Mapping[str, set[str]], ctx: _Ctx, shallow: bool) -> bool:
    """A value that names one account's rows: a parameter (cast or not), a list of them, a bound
    subquery, or a column of a source already bound in this block."""
    value = value.unnest() if isinstance(value, exp.Paren) else value
    if isinstance(value, exp.Cast):
        return _fixed(value.this, tables, keys, ctx, shallow)
    if isinstance(value, exp.Placeholder | exp.Parameter):
        return True
    if isinstance(value, exp.Tuple):
        return bool(value.expressions) and all(_fixed(v, tables, keys, ctx, shallow) for v in value.expressions)
    if isinstance(value, exp.Subquery | exp.Select | exp.Union):
        return not shallow and _all_bound(value, ctx)
    if isinstance(value, exp.Column):
        owner = _owner(value, tables, keys, ctx)
        return owner is not None and bool(keys[owner])
    return False
