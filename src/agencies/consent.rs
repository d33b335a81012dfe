//! A client's consent to an agency: accepting an invitation (again, when the agency asks for
//! more rights) and revoking it. Only the client of a relationship can do either; to anyone
//! else the relationship does not exist.
use async_graphql::{Context, Object};
use chrono::Utc;
use entity::agency_clients;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value as Json;
use uuid::Uuid;

use super::AgencyClient;
use entity::enums::InvitationStatus;
use entity::table::{Table, check};

use crate::auth::Viewer;
use crate::auth::policy::{self, Op};
use crate::error::{AppError, AppResult};
use crate::events::ChangeKind;
use crate::table;

#[derive(Default)]
pub struct ConsentMutation;

#[Object]
impl ConsentMutation {
    /// Accepts an agency's invitation, or the rights it asked for since the last acceptance:
    /// from now on, while the relationship is active, the agency has exactly the rights its
    /// `permissions` name now (they become `consentedPermissions`) over the caller's rows.
    /// Pass the `permissions` the caller was shown: if the agency changed them in between, the
    /// acceptance is refused with `CONFLICT` and nothing changes. Accepting what is already
    /// consented changes nothing; a revoked relationship cannot be accepted again (`CONFLICT`).
    async fn accept_agency_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The relationship, one whose client is the caller.")] id: Uuid,
        #[graphql(
            desc = "The rights the client was shown and consents to; refused if they are no longer the ones asked for."
        )]
        permissions: Option<Json>,
    ) -> async_graphql::Result<AgencyClient> {
        if let Some(shown) = &permissions {
            check::permissions("permissions", shown).map_err(AppError::from)?;
        }
        let client = client_of(ctx)?;
        let db = table::db(ctx)?;
        let txn = crate::db::write_txn(db).await.map_err(AppError::from)?;
        let row = relationship_of(ctx, client, id)?.lock_exclusive().one(&txn).await.map_err(AppError::from)?;
        let row = row.ok_or(AppError::NotFound(agency_clients::Entity::LABEL))?;
        let asked = policy::granted_rights(row.permissions.as_ref());
        if permissions.as_ref().is_some_and(|shown| policy::granted_rights(Some(shown)) != asked) {
            return Err(
                AppError::Conflict("the agency changed the permissions it asks for; review them again".into()).into()
            );
        }
        match row.status {
            InvitationStatus::Revoked => {
                return Err(AppError::Conflict(
                    "a revoked relationship cannot be accepted; the agency invites anew".into(),
                )
                .into());
            }
            InvitationStatus::Accepted if policy::granted_rights(row.consented_permissions.as_ref()) == asked => {
                return Ok(row.into());
            }
            _ => {}
        }
        agency_clients::Entity::update_many()
            .col_expr(agency_clients::Column::Status, Expr::value("accepted"))
            .col_expr(agency_clients::Column::AcceptedAt, Expr::value(Utc::now()))
            .col_expr(agency_clients::Column::ConsentedPermissions, Expr::value(Json::Object(asked)))
            .filter(agency_clients::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(AppError::from)?;
        published(ctx, txn, id).await
    }

    /// Revokes an agency's access at once, on every instance: the relationship row stays,
    /// marked `revoked`, with no consent left.
    async fn revoke_agency_access(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<AgencyClient> {
        let client = client_of(ctx)?;
        let txn = crate::db::write_txn(table::db(ctx)?).await.map_err(AppError::from)?;
        let revoked = agency_clients::Entity::update_many()
            .col_expr(agency_clients::Column::Status, Expr::value("revoked"))
            .col_expr(agency_clients::Column::RevokedAt, Expr::value(Utc::now()))
            .col_expr(agency_clients::Column::ConsentedPermissions, Expr::value(Option::<Json>::None))
            .filter(agency_clients::Column::Id.eq(id))
            .filter(agency_clients::Column::ClientUserId.eq(client))
            .exec(&txn)
            .await
            .map_err(AppError::from)?;
        if revoked.rows_affected == 0 {
            return Err(AppError::NotFound(agency_clients::Entity::LABEL).into());
        }
        published(ctx, txn, id).await
    }
}

/// The caller, who must be a signed-in user: only a client consents.
fn client_of(ctx: &Context<'_>) -> AppResult<Uuid> {
    match table::viewer(ctx)? {
        Viewer::User { id, .. } => Ok(*id),
        Viewer::Service => Err(AppError::Forbidden),
        Viewer::Anonymous => Err(AppError::Unauthenticated),
    }
}

/// The relationship `id` whose client is `client`.
fn relationship_of(ctx: &Context<'_>, client: Uuid, id: Uuid) -> AppResult<sea_orm::Select<agency_clients::Entity>> {
    let viewer = table::viewer(ctx)?;
    Ok(policy::scope_one::<agency_clients::Entity>(viewer, Op::Read, id, table::db(ctx)?.get_database_backend())?
        .filter(agency_clients::Column::ClientUserId.eq(client)))
}

/// The relationship as written in `txn`, committed and published to every instance's
/// subscribers and directory.
async fn published(ctx: &Context<'_>, txn: DatabaseTransaction, id: Uuid) -> async_graphql::Result<AgencyClient> {
    let row = agency_clients::Entity::find_by_id(id).one(&txn).await.map_err(AppError::from)?;
    let row = row.ok_or(AppError::NotFound(agency_clients::Entity::LABEL))?;
    table::commit::<agency_clients::Entity>(ctx, txn, ChangeKind::Updated, &row).await?;
    Ok(row.into())
}
