//! Accounts: sign-up, sign-in, session refresh and sign-out, and `me`.
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Months, TimeZone, Utc};
use entity::enums::ActorKind;
use entity::{creator_profiles, delivery_preferences, subscription_billing, users};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub mod me;
pub mod privacy;
pub mod roles;

use crate::audit::{self, RequestMeta};
use crate::auth::session::{IssuedSession, revoke};
use crate::auth::{Viewer, password};
use crate::error::AppError;
use crate::limits::Rule;
use crate::table::{db, state, viewer};
use me::Me;

/// Credits a free-tier subscription receives each month.
pub const FREE_TIER_MONTHLY_CREDITS: i64 = 50;

/// A signed-in session.
#[derive(SimpleObject)]
pub struct Session {
    /// A JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    /// Opaque; exchange it once with `refreshSession` for a new pair.
    pub refresh_token: String,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: User,
}

/// An account.
pub struct User(pub users::Model);

#[Object]
impl User {
    /// The user's id (the `sub` of their tokens).
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The sign-in email, lower-case.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// `authenticated` or `service_role`.
    async fn role(&self) -> &str {
        &self.0.role
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the account last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When the user last signed in.
    async fn last_sign_in_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_sign_in_at
    }
}

impl From<IssuedSession> for Session {
    fn from(issued: IssuedSession) -> Self {
        Self {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_at: Utc.timestamp_opt(issued.expires_at, 0).single().unwrap_or_else(Utc::now),
            user: User(issued.user),
        }
    }
}

fn invalid_credentials() -> AppError {
    AppError::Unauthenticated
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user and the entry to all of their data.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let user_id = match viewer(ctx)? {
            Viewer::User { id, .. } => *id,
            Viewer::Service => return Err(AppError::bad_input("me", "the service role is not a user").into()),
            Viewer::Anonymous => return Err(AppError::Unauthenticated.into()),
        };
        let db = db(ctx)?;
        let user = users::Entity::find_by_id(user_id)
            .one(db)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Me::new(User(user)))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account with its profile, delivery preferences and a free-tier subscription,
    /// all or nothing, and signs it in.
    async fn sign_up(&self, ctx: &Context<'_>, email: String, password: String) -> async_graphql::Result<Session> {
        let (_, meta) = audit::origin(ctx);
        state(ctx)?.limits.consume(Rule::SignUp, address(&meta), 1).await?;
        let email = password::normalize_email(&email)?;
        password::check_strength(&password, &email)?;
        let hash = password::hash(password).await?;
        let state = state(ctx)?;
        let txn = crate::db::write_txn(&state.db).await.map_err(AppError::from)?;
        let now = Utc::now();
        let user = users::ActiveModel {
            id: Set(Uuid::new_v4()),
            email: Set(email.clone()),
            password_hash: Set(Some(hash)),
            role: Set("authenticated".into()),
            created_at: Set(now),
            updated_at: Set(now),
            last_sign_in_at: Set(Some(now)),
        }
        .insert(&txn)
        .await
        .map_err(|err| match AppError::from(err) {
            AppError::Conflict(_) => AppError::Conflict("email: an account with this email exists".into()),
            other => other,
        })?;
        creator_profiles::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(user.id),
            email: Set(email),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(AppError::from)?;
        delivery_preferences::ActiveModel { id: Set(Uuid::new_v4()), user_id: Set(user.id), ..Default::default() }
            .insert(&txn)
            .await
            .map_err(AppError::from)?;
        let allowance = Decimal::from(FREE_TIER_MONTHLY_CREDITS);
        subscription_billing::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(user.id),
            subscription_status: Set(entity::enums::BillingStatus::Active),
            current_period_start: Set(Some(now)),
            current_period_end: Set(now.checked_add_months(Months::new(1))),
            monthly_credit_limit: Set(Some(allowance)),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(AppError::from)?;
        // The allowance enters through the ledger, so that the ledger always sums to the balance.
        crate::billing::ledger::open_allowance(&txn, user.id).await?;
        roles::bootstrap(&txn, user.id, &user.email, &state.config.admin_emails, &meta).await?;
        let entry = audit::Entry::new("account.create", Some(user.id));
        audit::record(&txn, audit::Actor { kind: ActorKind::User, id: Some(user.id) }, &meta, entry).await?;
        let session = state.auth.start_session(&txn, user).await?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(session.into())
    }

    /// Signs in with email and password. A wrong email and a wrong password answer alike.
    async fn sign_in(&self, ctx: &Context<'_>, email: String, password: String) -> async_graphql::Result<Session> {
        let state = state(ctx)?;
        let (_, meta) = audit::origin(ctx);
        let account_key = email.trim().to_lowercase();
        // Both limits are checked before the password is: a refused guess costs no hashing.
        state.limits.consume(Rule::SignInAddress, address(&meta), 1).await?;
        state.limits.consume(Rule::SignInAccount, &account_key, 1).await?;
        let user = match password::normalize_email(&email) {
            Ok(email) => users::Entity::find()
                .filter(Expr::expr(Func::lower(Expr::col(users::Column::Email))).eq(email))
                .one(&state.db)
                .await
                .map_err(AppError::from)?,
            Err(_) => None,
        };
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        if !password::verify(password, hash).await {
            // A failure costs more than the attempt already counted.
            let extra = state.config.sign_in_failure_cost.saturating_sub(1);
            if extra > 0 {
                let _ = state.limits.consume(Rule::SignInAddress, address(&meta), extra).await;
                let _ = state.limits.consume(Rule::SignInAccount, &account_key, extra).await;
            }
            let entry = audit::Entry::new("sign_in.failure", user.as_ref().map(|u| u.id));
            audit::record(&state.db, audit::Actor { kind: ActorKind::Anonymous, id: None }, &meta, entry).await?;
            return Err(invalid_credentials().into());
        }
        let user = user.ok_or_else(invalid_credentials)?;
        let txn = crate::db::write_txn(&state.db).await.map_err(AppError::from)?;
        let mut signed_in: users::ActiveModel = user.clone().into();
        signed_in.last_sign_in_at = Set(Some(Utc::now()));
        signed_in.updated_at = NotSet;
        let user = signed_in.update(&txn).await.map_err(AppError::from)?;
        roles::bootstrap(&txn, user.id, &user.email, &state.config.admin_emails, &meta).await?;
        let entry = audit::Entry::new("sign_in.success", Some(user.id));
        audit::record(&txn, audit::Actor { kind: ActorKind::User, id: Some(user.id) }, &meta, entry).await?;
        let session = state.auth.start_session(&txn, user).await?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(session.into())
    }

    /// Exchanges a refresh token for a new session pair. The old token stops working; using it
    /// again revokes the session.
    async fn refresh_session(&self, ctx: &Context<'_>, refresh_token: String) -> async_graphql::Result<Session> {
        let state = state(ctx)?;
        let (_, meta) = audit::origin(ctx);
        state.limits.consume(Rule::Refresh, address(&meta), 1).await?;
        Ok(state.auth.refresh(&state.db, state.events.as_ref(), &refresh_token).await?.into())
    }

    /// Revokes the caller's session: its refresh token no longer works.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        match viewer(ctx)? {
            Viewer::User { id, session_id: Some(session_id), .. } => {
                let txn = crate::db::write_txn(db(ctx)?).await.map_err(AppError::from)?;
                revoke(&txn, *session_id).await?;
                let mut entry = audit::Entry::new("session.revoke", Some(*id));
                entry.row = Some(*session_id);
                entry.table = Some("sessions");
                audit::record_for(ctx, &txn, entry).await?;
                txn.commit().await.map_err(AppError::from)?;
                let state = state(ctx)?;
                state.auth.liveness.end(state.events.as_ref(), *id, Some(*session_id));
                Ok(true)
            }
            Viewer::User { session_id: None, .. } => Err(AppError::bad_input("token", "carries no session").into()),
            _ => Err(AppError::Unauthenticated.into()),
        }
    }
}

/// The key of a request's client address in the per-address limits.
fn address(meta: &RequestMeta) -> &str {
    meta.client_address.as_deref().unwrap_or("unknown")
}
