//! Column, index and trigger builders shared by every migration.
//!
//! This is the one place that maps the seed's PostgreSQL types onto SQLite (the README's
//! "Type mapping" table describes the same choices):
//! - `uuid`: PostgreSQL `uuid`; SQLite 16-byte blob (the driver's encoding), default a v4 uuid.
//! - `jsonb`: PostgreSQL `jsonb`; SQLite JSON text.
//! - `decimal(p,s)`: PostgreSQL `numeric(p,s)`; SQLite REAL. Every seed column has at most 15
//!   significant digits, so each value round-trips exactly; arithmetic in SQL is wrapped in
//!   `ROUND(expr, s)` so that sums stay exact on both databases.
//! - `interval` (`crawl_frequency`): a whole number of seconds (`bigint`) on both.
//! - `time`, `date`, `timestamptz`: native on PostgreSQL; ISO-8601 text on SQLite, always in UTC
//!   (`YYYY-MM-DDTHH:MM:SS.sss+00:00`) so that text order is time order.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// SQLite's `now()`: the same RFC 3339 UTC text the driver writes for a timestamp.
pub const SQLITE_NOW: &str = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')";

/// SQLite's `gen_random_uuid()`: a version-4 uuid as the 16-byte blob the driver reads.
const SQLITE_UUID_V4: &str = "unhex(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) \
     || substr('89AB', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || hex(randomblob(6)))";

/// Builds DDL for the connected backend.
pub struct Ddl<'a, 'c> {
    manager: &'a SchemaManager<'c>,
    pub backend: DbBackend,
}

impl<'a, 'c> Ddl<'a, 'c> {
    pub fn new(manager: &'a SchemaManager<'c>) -> Self {
        Self { manager, backend: manager.get_database_backend() }
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// Runs raw SQL (functions, triggers, expression and partial indexes).
    pub async fn raw(&self, sql: &str) -> Result<(), DbErr> {
        self.manager.get_connection().execute_unprepared(sql).await.map(|_| ())
    }

    pub async fn create_table(&self, table: TableCreateStatement) -> Result<(), DbErr> {
        self.manager.create_table(table).await
    }

    /// Creates an index with the seed's name.
    pub async fn index(&self, name: &str, table: &'static str, cols: &[&'static str]) -> Result<(), DbErr> {
        self.create_index(name, table, cols, false).await
    }

    /// Creates a unique index with the seed's name.
    pub async fn unique_index(&self, name: &str, table: &'static str, cols: &[&'static str]) -> Result<(), DbErr> {
        self.create_index(name, table, cols, true).await
    }

    async fn create_index(
        &self,
        name: &str,
        table: &'static str,
        cols: &[&'static str],
        unique: bool,
    ) -> Result<(), DbErr> {
        let mut index = Index::create();
        index.name(name.to_owned()).table(table);
        for col in cols {
            index.col(*col);
        }
        if unique {
            index.unique();
        }
        self.manager.create_index(index).await
    }

    /// Keeps `updated_at` current on every update of `table`, whoever writes it.
    pub async fn updated_at_trigger(&self, table: &str) -> Result<(), DbErr> {
        let sql = if self.is_postgres() {
            format!(
                "CREATE TRIGGER update_{table}_updated_at BEFORE UPDATE ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
            )
        } else {
            // SQLite cannot assign NEW in a trigger; it updates the row after the write
            // (recursive triggers are off, so this does not fire itself again).
            format!(
                "CREATE TRIGGER update_{table}_updated_at AFTER UPDATE ON {table} FOR EACH ROW \
                 BEGIN UPDATE {table} SET updated_at = {SQLITE_NOW} WHERE id = NEW.id; END"
            )
        };
        self.raw(&sql).await
    }

    /// Drops tables in the given order (their indexes and triggers go with them).
    pub async fn drop_tables(&self, tables: &[&'static str]) -> Result<(), DbErr> {
        for table in tables {
            self.manager.drop_table(Table::drop().table(*table).if_exists().to_owned()).await?;
        }
        Ok(())
    }

    /// Rebuilds `table` on SQLite as `definition`, a definition of the same table under the name
    /// `<table>_rebuilt`, copying `columns`: SQLite cannot add or drop a foreign key in place
    /// (sqlite.org/lang_altertable.html, "other kinds of table schema changes"). The old table's
    /// indexes and triggers go with it; the caller creates them again. No other table may
    /// reference `table`, since dropping it would check their foreign keys. Run it in a
    /// transaction (`use_transaction`), so that a failure leaves the old table as it was.
    pub async fn rebuild_sqlite_table(
        &self,
        table: &str,
        definition: TableCreateStatement,
        columns: &[&str],
    ) -> Result<(), DbErr> {
        let columns = columns.join(", ");
        self.create_table(definition).await?;
        self.raw(&format!("INSERT INTO {table}_rebuilt ({columns}) SELECT {columns} FROM {table}")).await?;
        self.raw(&format!("DROP TABLE {table}")).await?;
        self.raw(&format!("ALTER TABLE {table}_rebuilt RENAME TO {table}")).await
    }

    /// `id uuid PRIMARY KEY DEFAULT gen_random_uuid()`.
    pub fn id(&self) -> ColumnDef {
        let default = if self.is_postgres() { "gen_random_uuid()" } else { SQLITE_UUID_V4 };
        ColumnDef::new("id").uuid().not_null().primary_key().default(Expr::cust(default)).to_owned()
    }

    /// `timestamptz DEFAULT now()`.
    pub fn timestamp_now(&self, name: &'static str) -> ColumnDef {
        let now = if self.is_postgres() { "now()".to_owned() } else { format!("({SQLITE_NOW})") };
        ColumnDef::new(name).timestamp_with_time_zone().default(Expr::cust(now)).to_owned()
    }
}

/// A `uuid` column referencing `users(id) ON DELETE CASCADE`, added to `table`.
pub fn user_ref(table: &mut TableCreateStatement, name: &'static str, nullable: bool) {
    let mut col = ColumnDef::new(name);
    col.uuid();
    if !nullable {
        col.not_null();
    }
    table
        .col(col)
        .foreign_key(ForeignKey::create().from_col(name).to("users", "id").on_delete(ForeignKeyAction::Cascade));
}

/// A foreign key from `col` to `target(id)`, cascading when `cascade` is set.
pub fn references(table: &mut TableCreateStatement, col: &'static str, target: &'static str, cascade: bool) {
    let mut fk = ForeignKey::create();
    fk.from_col(col).to(target, "id");
    if cascade {
        fk.on_delete(ForeignKeyAction::Cascade);
    }
    table.foreign_key(&mut fk);
}

pub fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().to_owned()
}

pub fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().to_owned()
}

pub fn integer(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().to_owned()
}

pub fn big_integer(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().to_owned()
}

pub fn boolean(name: &'static str, default: bool) -> ColumnDef {
    ColumnDef::new(name).boolean().default(default).to_owned()
}

pub fn decimal(name: &'static str, precision: u32, scale: u32) -> ColumnDef {
    ColumnDef::new(name).decimal_len(precision, scale).to_owned()
}

pub fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().to_owned()
}

pub fn timestamp(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().to_owned()
}

/// `jsonb DEFAULT '<default>'`.
pub fn json(name: &'static str, default: &str) -> ColumnDef {
    ColumnDef::new(name).json_binary().default(default.to_owned()).to_owned()
}

/// A text column restricted to `values` by a CHECK constraint (the seed's enums).
pub fn text_in(name: &'static str, values: &[&'static str]) -> ColumnDef {
    ColumnDef::new(name).text().check(Expr::col(name).is_in(values.iter().copied())).to_owned()
}
