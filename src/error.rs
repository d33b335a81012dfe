//! Errors the API reports, each with a stable `extensions.code`.
use async_graphql::ErrorExtensions as _;
use sea_orm::{DbErr, SqlErr};

/// An error a client may see. Database details are logged, never sent.
///
/// It converts into a GraphQL error carrying `extensions.code`; it deliberately does not
/// implement `Display`, so that it cannot reach a client through a path that drops the code.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated,
    Forbidden,
    NotFound(&'static str),
    BadInput {
        field: String,
        message: String,
    },
    Conflict(String),
    /// A free-tier balance cannot pay for an action.
    InsufficientCredits,
    /// A per-user limit (live connections, subscriptions) is reached.
    LimitExceeded(String),
    /// A live subscriber fell this many events behind; the subscription ends.
    Lagged(u64),
    /// A subscription asked to resume after a position whose events are no longer kept: the
    /// oldest kept is this one.
    EventsExpired(i64),
    /// The database cannot be reached now; the request may be tried again.
    Unavailable,
    /// A rate limit refused the request; it may be tried again after this many seconds.
    RateLimited {
        retry_after_secs: u64,
    },
    /// The operation needs an AI provider and none is configured.
    AiNotConfigured,
    Internal,
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::InsufficientCredits => "INSUFFICIENT_CREDITS",
            Self::LimitExceeded(_) => "LIMIT_EXCEEDED",
            Self::Lagged(_) => "LAGGED",
            Self::EventsExpired(_) => "EVENTS_EXPIRED",
            Self::Unavailable => "UNAVAILABLE",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::AiNotConfigured => "AI_NOT_CONFIGURED",
            Self::Internal => "INTERNAL",
        }
    }

    /// The message sent to the client.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => "authentication required".into(),
            Self::Forbidden => "not allowed".into(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::BadInput { field, message } => format!("{field}: {message}"),
            Self::Conflict(message) => message.clone(),
            Self::InsufficientCredits => "not enough credits for this action".into(),
            Self::LimitExceeded(message) => message.clone(),
            Self::Lagged(missed) => {
                format!("the subscriber fell behind and missed {missed} events; subscribe again and refetch")
            }
            Self::EventsExpired(oldest) => format!(
                "the events after that position are no longer all kept (the oldest kept is {oldest}); \
                 refetch and subscribe again without `after`"
            ),
            Self::Unavailable => "the database cannot be reached at the moment; try again shortly".into(),
            Self::RateLimited { retry_after_secs } => {
                format!("too many requests; try again in {retry_after_secs} s")
            }
            Self::AiNotConfigured => "no AI provider is configured on this server (AI_BASE_URL)".into(),
            Self::Internal => "internal error".into(),
        }
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput { field: field.into(), message: message.into() }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict("already exists".into()),
            // A referenced row vanished or never existed: the same answer as any missing row.
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::NotFound("referenced row"),
            _ if unreachable(&err) => {
                tracing::warn!(error = %err, "the database cannot be reached");
                Self::Unavailable
            }
            _ => {
                tracing::error!(error = %err, "database error");
                Self::Internal
            }
        }
    }
}

/// Whether `err` says the database could not be reached (no connection could be had, or the
/// one in use broke), rather than that a statement failed.
fn unreachable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    let runtime = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    match runtime {
        RuntimeErr::SqlxError(sqlx) => match sqlx.as_ref() {
            Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed | Error::Tls(_) => true,
            // PostgreSQL's classes 08 (connection exception) and 57P (the server is shutting
            // down, crashed or starting).
            Error::Database(db) => db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        },
        _ => false,
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", err.code());
            if let AppError::BadInput { field, .. } = &err {
                ext.set("field", field.as_str());
            }
            if let AppError::RateLimited { retry_after_secs } = &err {
                ext.set("retryAfter", *retry_after_secs);
            }
        })
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<entity::table::Invalid> for AppError {
    fn from(invalid: entity::table::Invalid) -> Self {
        Self::BadInput { field: invalid.field, message: invalid.message }
    }
}
