//! Writes of one row with their events, each in one statement, and combined when several wait.
//!
//! A create, update or delete of one row goes out as one statement in a transaction of its
//! own: the write, its owner's next position and its stored event ([`super::outbox`]). Such
//! writes are handed to a few writers (`DB_WRITERS`). A free writer takes whatever is waiting:
//! alone, a write goes out as its own statement at once; under load, the waiting writes of one
//! shape (the same statement with other values) go out as one statement, each write a
//! data-modifying `WITH` of its own, so that the database commits them once and is spared a
//! statement, a transaction and a round trip for each. They commit together or not at all;
//! when the database refuses a combined statement (one write broke a constraint, two writes
//! met on one row), each write is run again alone and answered by its own result, so one
//! refused write never refuses another. A combined statement whose connection is lost answers
//! every write in it as unavailable, since it may have committed.
//!
//! Writes combined in one statement never share a row, an author, or (through the positions'
//! row lock taken in owner order) an unordered lock, so that they cannot meet each other.
use std::collections::HashSet;
use std::sync::Arc;

use entity::table::Table;
use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, RuntimeErr, Statement, Value};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use super::{Change, ChangeKind};

/// Writes waiting for a writer; beyond this a writer waits for room.
const WAITING: usize = 4_096;
/// Most writes one writer takes at once.
const TAKEN: usize = 64;
/// Most writes in one combined statement.
const COMBINED: usize = 16;

/// One write of one row with its event, as it goes out.
pub struct Write {
    /// The write (`… RETURNING *`), its values numbered from `$1`.
    sql: String,
    values: Vec<Value>,
    table: &'static str,
    kind: ChangeKind,
    /// The stored event's row: an expression over the written row `w`.
    row: String,
    /// The row's owner: an expression over `w`.
    owner: String,
    /// The row written (`None`: a new row, which no other write can meet).
    key: Option<Uuid>,
    /// Who writes.
    author: Option<Uuid>,
}

impl Write {
    /// The `kind` write of one row of `E` (`write`: an `INSERT`, `UPDATE` or `DELETE …
    /// RETURNING *` built for PostgreSQL) of the row `key`, by `author`.
    pub fn of<E: Table>(kind: ChangeKind, write: Statement, key: Option<Uuid>, author: Option<Uuid>) -> Self {
        use sea_orm::{ColumnTrait, ColumnType, IdenStatic, Iterable};
        let fields: Vec<String> = <E::Column as Iterable>::iter()
            .map(|column| {
                let name = column.as_str();
                match column.def().get_column_type() {
                    ColumnType::Decimal(_) | ColumnType::Money(_) => format!("'{name}', w.\"{name}\"::text"),
                    _ => format!("'{name}', w.\"{name}\""),
                }
            })
            .collect();
        // `jsonb_build_object` takes at most 100 arguments: wide rows are merged from parts.
        let row = fields.chunks(50).map(|part| format!("jsonb_build_object({})", part.join(", "))).collect::<Vec<_>>();
        Self {
            sql: write.sql,
            values: write.values.map(|v| v.0).unwrap_or_default(),
            table: E::default().table_name(),
            kind,
            row: row.join(" || "),
            owner: E::owner_column().map_or("NULL::uuid".to_owned(), |c| format!("w.\"{}\"", c.as_str())),
            key,
            author,
        }
    }

    /// Whether `self` and `other` are the same statement with other values.
    fn same_shape(&self, other: &Self) -> bool {
        self.sql == other.sql && self.kind == other.kind && self.table == other.table
    }
}

/// The writers, and the writes waiting for them.
#[derive(Clone)]
pub struct Writes {
    waiting: mpsc::Sender<Waiting>,
}

struct Waiting {
    write: Write,
    answer: oneshot::Sender<Result<Option<QueryResult>, DbErr>>,
}

impl Writes {
    /// `writers` writers on `db` (a pool that never runs a statement twice, see
    /// [`crate::db::Reader::once`]). They stop when the last handle is dropped.
    pub fn start(db: crate::db::Reader, writers: usize) -> Self {
        let (waiting, queue) = mpsc::channel(WAITING);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..writers.max(1) {
            tokio::spawn(writer(db.clone(), queue.clone()));
        }
        Self { waiting }
    }

    /// The row `write` returned (`None`: it wrote nothing), with its position among its
    /// owner's events in the column `event_position`.
    pub async fn write(&self, write: Write) -> Result<Option<QueryResult>, DbErr> {
        let (answer, answered) = oneshot::channel();
        let gone = || DbErr::Conn(RuntimeErr::Internal("the writers have stopped".into()));
        self.waiting.send(Waiting { write, answer }).await.map_err(|_| gone())?;
        answered.await.map_err(|_| gone())?
    }
}

/// Runs `write` (see [`Write::of`]) and records the `kind` change of the row it returns, in one
/// statement: the write and its event commit together or not at all. The row as written, with
/// its change (numbered) to [`super::outbox::deliver`]; `None` when it wrote nothing.
///
/// The owner's position moves on by one and the event is stored with it; the stored event's row
/// is built by the database (`jsonb_build_object` of every column, decimals as text), in the
/// form the server gives it ([`Change::of`]). A write of one row needs none of the numbering of
/// [`super::outbox::record`] (counts per owner, a window function, joins), which took a quarter
/// of the statement's time (BENCHMARKS.md).
pub async fn write_one_with_events<E: Table>(writes: &Writes, write: Write) -> Result<Option<(E::Model, Change)>, DbErr>
where
    E::Model: serde::Serialize,
{
    use sea_orm::FromQueryResult;
    let kind = write.kind;
    let Some(row) = writes.write(write).await? else { return Ok(None) };
    let model = E::Model::from_query_result(&row, "")?;
    let position: Option<i64> = row.try_get("", "event_position")?;
    Ok(Change::of::<E>(kind, &model).map(|mut change| {
        change.position = position;
        (model, change)
    }))
}

/// Takes whatever waits (one writer at a time waits on the queue) and writes it.
async fn writer(db: crate::db::Reader, queue: Arc<Mutex<mpsc::Receiver<Waiting>>>) {
    let mut taken = Vec::with_capacity(TAKEN);
    loop {
        if queue.lock().await.recv_many(&mut taken, TAKEN).await == 0 {
            return;
        }
        for group in groups(std::mem::take(&mut taken)) {
            run(&db, group).await;
        }
    }
}

/// `taken` in groups that may go out as one statement, in the order they came: one shape, no
/// row and no author twice.
fn groups(taken: Vec<Waiting>) -> Vec<Vec<Waiting>> {
    let mut groups: Vec<(Vec<Waiting>, HashSet<Uuid>)> = Vec::new();
    for waiting in taken {
        let ids = [waiting.write.key, waiting.write.author];
        let fits = |(group, seen): &&mut (Vec<Waiting>, HashSet<Uuid>)| {
            group.len() < COMBINED
                && group[0].write.same_shape(&waiting.write)
                && ids.iter().flatten().all(|id| !seen.contains(id))
        };
        match groups.iter_mut().find(|g| fits(g)) {
            Some((group, seen)) => {
                seen.extend(ids.iter().flatten());
                group.push(waiting);
            }
            None => groups.push((vec![waiting], ids.iter().flatten().copied().collect())),
        }
    }
    groups.into_iter().map(|(group, _)| group).collect()
}

/// Writes `group` and answers each of its writes.
async fn run(db: &crate::db::Reader, mut group: Vec<Waiting>) {
    if group.len() == 1 {
        let waiting = group.remove(0);
        let result = db.query_all_raw(statement(&[&waiting.write])).await;
        let _ = waiting.answer.send(result.map(|rows| rows.into_iter().next()));
        return;
    }
    // Rows are locked in the order of their ids, whoever writes them.
    group.sort_by_key(|waiting| waiting.write.key);
    let writes: Vec<&Write> = group.iter().map(|waiting| &waiting.write).collect();
    match db.query_all_raw(statement(&writes)).await {
        Ok(rows) => {
            let mut answers: Vec<Option<QueryResult>> = group.iter().map(|_| None).collect();
            for row in rows {
                let item = row.try_get::<i32>("", "event_item").ok().and_then(|n| usize::try_from(n).ok());
                if let Some(slot) = item.and_then(|n| answers.get_mut(n)) {
                    *slot = Some(row);
                }
            }
            for (waiting, answer) in group.into_iter().zip(answers) {
                let _ = waiting.answer.send(Ok(answer));
            }
        }
        // Refused by the database, so rolled back: each write alone gets its own answer.
        Err(err) if refused(&err) => {
            for waiting in group {
                let result = db.query_all_raw(statement(&[&waiting.write])).await;
                let _ = waiting.answer.send(result.map(|rows| rows.into_iter().next()));
            }
        }
        Err(err) => {
            for waiting in group {
                let _ = waiting.answer.send(Err(err.clone()));
            }
        }
    }
}

/// Whether `err` is the database refusing a statement (which then changed nothing), rather than
/// a connection lost under it.
fn refused(err: &DbErr) -> bool {
    match err {
        DbErr::Query(RuntimeErr::SqlxError(err)) => match err.as_ref() {
            sqlx::Error::Database(db) => !db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        },
        _ => false,
    }
}

/// The statement of `writes` (one shape): each write, its owner's next position and its stored
/// event; one row per written row, with `event_position` (and `event_item`, the write's index,
/// when there are several).
fn statement(writes: &[&Write]) -> Statement {
    let first = writes[0];
    let owner = &first.owner;
    let single = writes.len() == 1;
    let mut values = Vec::with_capacity(writes.len() * first.values.len() + 2);
    let mut parts = Vec::with_capacity(writes.len() + 1);
    if single {
        values.extend(first.values.iter().cloned());
        parts.push(format!("w AS ({})", first.sql));
    } else {
        let mut all = Vec::with_capacity(writes.len());
        for (n, write) in writes.iter().enumerate() {
            parts.push(format!("w{n} AS ({})", renumbered(&write.sql, values.len())));
            values.extend(write.values.iter().cloned());
            all.push(format!("SELECT {n} AS event_item, w{n}.* FROM w{n}"));
        }
        parts.push(format!("w AS ({})", all.join(" UNION ALL ")));
    }
    let kind = serde_json::to_value(first.kind).ok().and_then(|k| k.as_str().map(str::to_owned)).unwrap_or_default();
    values.push(first.table.into());
    values.push(kind.into());
    let (table, kind) = (format!("${}", values.len() - 1), format!("${}", values.len()));
    // A single write's position is the only one. Several writes have one owner each (a second
    // write of an owner fails the statement), taken in order so that statements running at
    // once lock positions in one order.
    let (order, positions, joined) = match single {
        true => (String::new(), "position", "CROSS JOIN bumped b".to_owned()),
        false => (format!(" ORDER BY {owner}"), "user_id, position", format!("JOIN bumped b ON b.user_id = {owner}")),
    };
    let sql = format!(
        "WITH {parts}, \
         bumped AS ( \
             INSERT INTO event_positions AS p (user_id, position) \
             SELECT {owner}, 1 FROM w WHERE {owner} IS NOT NULL{order} \
             ON CONFLICT (user_id) DO UPDATE SET position = p.position + 1 \
             RETURNING {positions}), \
         stored AS ( \
             INSERT INTO event_outbox (user_id, position, payload) \
             SELECT {owner}, b.position, \
                    jsonb_build_object('type', 'change', 'table', {table}::text, 'kind', {kind}::text, \
                        'owner', {owner}, 'row', {row}, 'at', now())::text \
             FROM w {joined}) \
         SELECT w.*, b.position AS event_position FROM w LEFT {left}",
        parts = parts.join(", "),
        row = first.row,
        left = if single { "JOIN bumped b ON true".to_owned() } else { joined.clone() },
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// `sql` with each parameter `$n` as `$(n + by)` (quoted text and names left as they are).
fn renumbered(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    let mut quote = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '$') if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    chars.next();
                }
                out.push('$');
                out.push_str(&(n + by).to_string());
            }
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::renumbered;

    #[test]
    fn parameters_move_on_and_quoted_text_stays() {
        assert_eq!(
            renumbered(r#"UPDATE "t" SET "a" = $1 WHERE "id" = $2 AND "b" = '$1' AND "$3" = $10"#, 4),
            r#"UPDATE "t" SET "a" = $5 WHERE "id" = $6 AND "b" = '$1' AND "$3" = $14"#
        );
        assert_eq!(renumbered("SELECT $1", 0), "SELECT $1");
    }
}
