//! Who is calling: tokens, passwords, sessions, and the policy that decides who may touch what.
pub mod agencies;
pub mod jwt;
pub mod liveness;
pub mod password;
pub mod policy;
pub mod presence;
pub mod session;

use entity::enums::Role;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The token of an `Authorization` value (`Bearer <token>`), if it has that form.
pub fn bearer_token(value: &str) -> Option<&str> {
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim)
}

/// The caller of a request, decided once at the transport from its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// No token: may sign up, sign in, refresh a session and read the schema.
    Anonymous,
    /// A signed-in user (`role = authenticated`). `may_act_for_clients` is `false` only when the
    /// user is known to be no agency (see [`agencies::Agencies`]): the policy then leaves out
    /// the lookup of delegating clients. Unknown means `true`, which is always correct.
    /// `role` is the user's in `user_roles`, read when the token is checked.
    User { id: Uuid, session_id: Option<Uuid>, may_act_for_clients: bool, role: Role },
    /// The service role: may read and write every row, naming the user it acts for.
    Service,
}

impl Viewer {
    /// The signed-in user's id, or `UNAUTHENTICATED`.
    pub fn user_id(&self) -> AppResult<Uuid> {
        match self {
            Self::User { id, .. } => Ok(*id),
            _ => Err(AppError::Unauthenticated),
        }
    }

    pub fn is_service(&self) -> bool {
        matches!(self, Self::Service)
    }

    /// An admin (a person who runs the service, audited as one).
    pub fn is_admin(&self) -> bool {
        matches!(self, Self::User { role: Role::Admin, .. })
    }

    /// An admin or a support user: reads what staff read.
    pub fn is_staff(&self) -> bool {
        matches!(self, Self::User { role: Role::Admin | Role::Support, .. })
    }

    /// Refuses the anonymous caller.
    pub fn require_signed_in(&self) -> AppResult<()> {
        match self {
            Self::Anonymous => Err(AppError::Unauthenticated),
            _ => Ok(()),
        }
    }
}
