//! The transactional outbox: a change's event is written in the change's own transaction, so a
//! committed change always has its event and a rolled-back one never does.
//!
//! Each event of a user's row gets the next of that user's positions (`event_positions`, whose
//! row lock orders one user's writers, so positions commit in order). After the commit the
//! events are published on the bus (on PostgreSQL a `NOTIFY` per batch, sent by the instance
//! that wrote them). Events are kept for the configured retention window
//! (`EVENT_RETENTION_HOURS`): a subscriber that passes the last position it saw reads what it
//! missed from here, and so does one that notices a gap in a user's positions or hears nothing
//! for a while (an instance that stopped between a commit and its publication, a listener that
//! was away).
//!
//! The `NOTIFY` is not part of the write's transaction on purpose: PostgreSQL serialises the
//! commits of notifying transactions (a global lock held through the commit's WAL flush), which
//! halved the write rate (BENCHMARKS.md, "Reliability").
use entity::table::Table;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, QueryFilter, Statement, Value};
use serde_json::json;
use uuid::Uuid;

use super::{Change, ChangeKind, Event, EventBus};
use crate::db::{placeholders, statement};

/// `NOTIFY` refuses payloads from 8,000 bytes; a larger change is announced by its owner and
/// position and loaded from here by the listeners ([`load`]).
pub const MAX_NOTIFY_BYTES: usize = 7_800;

/// Events read from the outbox in one statement when a subscriber catches up.
pub const REPLAY_BATCH: u64 = 200;

/// Records `changes` on `txn`, the transaction of the writes they describe, numbering each
/// owned change with its owner's next position. A change of a row without an owner is not
/// kept: only one user's events are ever resumed or loaded. Deliver them with [`deliver`] once `txn`
/// has committed (or use [`commit`]).
pub async fn record(txn: &impl ConnectionTrait, mut changes: Vec<Change>) -> Result<Vec<Change>, DbErr> {
    if changes.is_empty() {
        return Ok(changes);
    }
    let mut payloads = Vec::with_capacity(changes.len());
    for change in &changes {
        let payload =
            serde_json::to_string(&Event::Change(change.clone())).map_err(|err| DbErr::Custom(err.to_string()))?;
        payloads.push(payload);
    }
    let positions = match txn.get_database_backend() {
        DbBackend::Postgres => record_in_one(txn, &changes, payloads).await?,
        _ => record_rows(txn, &changes, payloads).await?,
    };
    for (change, position) in changes.iter_mut().zip(positions) {
        change.position = position;
    }
    Ok(changes)
}

/// Publishes recorded changes whose transaction has committed.
pub fn deliver(bus: &dyn EventBus, changes: Vec<Change>) {
    for change in changes {
        bus.publish(Event::Change(change));
    }
}

/// Records `changes` on `txn`, commits it and delivers them: the changes, numbered.
pub async fn commit(txn: DatabaseTransaction, bus: &dyn EventBus, changes: Vec<Change>) -> Result<Vec<Change>, DbErr> {
    let changes = record(&txn, changes).await?;
    txn.commit().await?;
    deliver(bus, changes.clone());
    Ok(changes)
}

/// Commits `txn` with the `kind` change of the rows of `E` whose ids are `ids`, as `txn`
/// leaves them: the rows.
pub async fn commit_rows<E: Table>(
    txn: DatabaseTransaction,
    bus: &dyn EventBus,
    kind: ChangeKind,
    ids: Vec<Uuid>,
) -> Result<Vec<E::Model>, DbErr>
where
    E::Model: serde::Serialize,
{
    let rows = match ids.is_empty() {
        true => Vec::new(),
        false => E::find().filter(E::id_column().is_in(ids)).all(&txn).await?,
    };
    commit(txn, bus, super::changes::<E>(kind, &rows)).await?;
    Ok(rows)
}

/// Each owner's count of `changes`, owners in order (so that writers lock positions in the same
/// order).
fn owners(changes: &[Change]) -> Vec<(Uuid, i64)> {
    let mut counts = std::collections::BTreeMap::<Uuid, i64>::new();
    for owner in changes.iter().filter_map(|c| c.owner) {
        *counts.entry(owner).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// Two statements (SQLite): the owners' positions move on, then the events are stored.
async fn record_rows(
    txn: &impl ConnectionTrait,
    changes: &[Change],
    payloads: Vec<String>,
) -> Result<Vec<Option<i64>>, DbErr> {
    let counts = owners(changes);
    let mut next = std::collections::HashMap::<Uuid, i64>::new();
    if !counts.is_empty() {
        let mut values: Vec<Value> = Vec::with_capacity(counts.len() * 2);
        for (owner, count) in &counts {
            values.push((*owner).into());
            values.push((*count).into());
        }
        let sql = format!(
            "INSERT INTO event_positions (user_id, position) VALUES {} \
             ON CONFLICT (user_id) DO UPDATE SET position = event_positions.position + excluded.position \
             RETURNING user_id, position",
            groups(counts.len(), 2)
        );
        let rows = txn.query_all_raw(statement(txn, &sql, values)).await?;
        for row in rows {
            let owner: Uuid = row.try_get_by_index(0)?;
            let last: i64 = row.try_get_by_index(1)?;
            let count = counts.iter().find(|(o, _)| *o == owner).map_or(0, |(_, c)| *c);
            next.insert(owner, last - count + 1);
        }
    }
    let mut positions = Vec::with_capacity(changes.len());
    let mut values: Vec<Value> = Vec::with_capacity(changes.len() * 3);
    for (change, payload) in changes.iter().zip(payloads) {
        let position = change.owner.and_then(|owner| {
            let slot = next.get_mut(&owner)?;
            *slot += 1;
            Some(*slot - 1)
        });
        positions.push(position);
        if let (Some(owner), Some(position)) = (change.owner, position) {
            values.extend([owner.into(), position.into(), payload.into()]);
        }
    }
    if !values.is_empty() {
        let sql =
            format!("INSERT INTO event_outbox (user_id, position, payload) VALUES {}", groups(values.len() / 3, 3));
        txn.execute_raw(statement(txn, &sql, values)).await?;
    }
    Ok(positions)
}

/// One statement (PostgreSQL): positions and stored events.
async fn record_in_one(
    txn: &impl ConnectionTrait,
    changes: &[Change],
    payloads: Vec<String>,
) -> Result<Vec<Option<i64>>, DbErr> {
    let input: Vec<_> = changes.iter().zip(payloads).map(|(c, p)| json!({ "u": c.owner, "p": p })).collect();
    let events = "SELECT n, (e->>'u')::uuid AS user_id, e->>'p' AS payload \
                  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)";
    // Each owner's position moves on by their count of events (owners locked in order); each
    // event takes its place in that range.
    let sql = format!(
        "WITH input AS ({events}), \
         counts AS (SELECT user_id, count(*) AS c FROM input WHERE user_id IS NOT NULL GROUP BY user_id), \
         bumped AS ( \
             INSERT INTO event_positions AS p (user_id, position) \
             SELECT user_id, c FROM counts ORDER BY user_id \
             ON CONFLICT (user_id) DO UPDATE SET position = p.position + EXCLUDED.position \
             RETURNING user_id, position), \
         numbered AS ( \
             SELECT i.n, i.user_id, i.payload, \
                    b.position - c.c + row_number() OVER (PARTITION BY i.user_id ORDER BY i.n) AS position \
             FROM input i JOIN bumped b ON b.user_id = i.user_id JOIN counts c ON c.user_id = i.user_id), \
         stored AS ( \
             INSERT INTO event_outbox (user_id, position, payload) \
             SELECT user_id, position, payload FROM numbered) \
         SELECT n, position FROM numbered ORDER BY n"
    );
    let values = vec![serde_json::Value::from(input).into()];
    let rows = txn.query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
    let mut positions = vec![None; changes.len()];
    for row in rows {
        let n: i64 = row.try_get_by_index(0)?;
        let position: Option<i64> = row.try_get_by_index(1)?;
        if let Some(slot) = usize::try_from(n - 1).ok().and_then(|i| positions.get_mut(i)) {
            *slot = position;
        }
    }
    Ok(positions)
}

/// Whether writes can go out with their events in one statement ([`super::writes`]): on
/// PostgreSQL, whose CTEs may write.
pub fn writes_in_one_statement(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// `rows` groups of `width` placeholders: `($1, $2), ($3, $4)`.
fn groups(rows: usize, width: usize) -> String {
    (0..rows).map(|row| format!("({})", placeholders(1 + row * width, width))).collect::<Vec<_>>().join(", ")
}

/// `user`'s change at `position` (a notification too large to carry a change names it).
pub async fn load(db: &impl ConnectionTrait, user: Uuid, position: i64) -> Result<Option<Change>, DbErr> {
    let sql = "SELECT position, payload FROM event_outbox WHERE user_id = $1 AND position = $2";
    let row = db.query_one_raw(statement(db, sql, vec![user.into(), position.into()])).await?;
    Ok(row.and_then(|row| change_of(row.try_get_by_index(0).ok().flatten(), row.try_get_by_index(1).ok()?)))
}

/// The stored change `payload` at `position`.
pub fn change_of(position: Option<i64>, payload: String) -> Option<Change> {
    match serde_json::from_str(&payload).ok()? {
        Event::Change(mut change) => {
            change.position = position;
            Some(change)
        }
        _ => None,
    }
}

/// What the outbox holds of `user`'s events: the oldest position still kept (`None` when none
/// is) and the latest position given (0 before the first event). One statement, so both come
/// from one moment: read apart, a first event committed in between looked like a purged one.
pub async fn bounds(db: &impl ConnectionTrait, user: Uuid) -> Result<(Option<i64>, i64), DbErr> {
    let sql = "SELECT (SELECT MIN(position) FROM event_outbox WHERE user_id = $1), \
                      (SELECT position FROM event_positions WHERE user_id = $2)";
    let row = db.query_one_raw(statement(db, sql, vec![user.into(), user.into()])).await?;
    let oldest = row.as_ref().and_then(|row| row.try_get_by_index::<Option<i64>>(0).ok().flatten());
    let latest = row.and_then(|row| row.try_get_by_index::<Option<i64>>(1).ok().flatten()).unwrap_or(0);
    Ok((oldest, latest))
}

/// Up to [`REPLAY_BATCH`] of `user`'s changes after `position`, in order.
pub async fn since(db: &impl ConnectionTrait, user: Uuid, position: i64) -> Result<Vec<Change>, DbErr> {
    let rows = db
        .query_all_raw(statement(
            db,
            &format!(
                "SELECT position, payload FROM event_outbox WHERE user_id = $1 AND position > $2 \
                 ORDER BY position LIMIT {REPLAY_BATCH}"
            ),
            vec![user.into(), position.into()],
        ))
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let position = row.try_get_by_index::<i64>(0).ok()?;
            change_of(Some(position), row.try_get_by_index(1).ok()?)
        })
        .collect())
}

/// Deletes the events recorded before `before`: how many.
pub async fn purge(db: &impl ConnectionTrait, before: chrono::DateTime<chrono::Utc>) -> Result<u64, DbErr> {
    let done =
        db.execute_raw(statement(db, "DELETE FROM event_outbox WHERE created_at < $1", vec![before.into()])).await?;
    Ok(done.rows_affected())
}
