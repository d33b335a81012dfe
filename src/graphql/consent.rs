//! A client's consent to an agency: accepting an invitation and revoking it. Only the client of
//! a relationship can do either; to anyone else the relationship does not exist.
use async_graphql::{Context, Object};
use chrono::Utc;
use entity::agency_clients;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::agencies::AgencyClient;
use super::crud;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::events::ChangeKind;

#[derive(Default)]
pub struct ConsentMutation;

#[Object]
impl ConsentMutation {
    /// Accepts an agency's invitation: from now on, while the relationship is active, the agency
    /// has the rights its `permissions` name over the caller's rows.
    async fn accept_agency_invitation(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<AgencyClient> {
        set_status(ctx, id, "accepted", "invited").await
    }

    /// Revokes an agency's access at once; the relationship row stays, marked `revoked`.
    async fn revoke_agency_access(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<AgencyClient> {
        set_status(ctx, id, "revoked", "").await
    }
}

async fn set_status(ctx: &Context<'_>, id: Uuid, status: &str, from: &str) -> async_graphql::Result<AgencyClient> {
    let client = match crud::viewer(ctx)? {
        Viewer::User { id, .. } => *id,
        Viewer::Service => return Err(AppError::Forbidden.into()),
        Viewer::Anonymous => return Err(AppError::Unauthenticated.into()),
    };
    let now = Utc::now();
    let mut update = agency_clients::Entity::update_many()
        .col_expr(agency_clients::Column::Status, Expr::value(status))
        .filter(agency_clients::Column::Id.eq(id))
        .filter(agency_clients::Column::ClientUserId.eq(client));
    update = if status == "accepted" {
        update
            .col_expr(agency_clients::Column::AcceptedAt, Expr::value(now))
            .filter(agency_clients::Column::Status.eq(from))
    } else {
        update.col_expr(agency_clients::Column::RevokedAt, Expr::value(now))
    };
    let db = crud::db(ctx)?;
    if update.exec(db).await.map_err(AppError::from)?.rows_affected == 0 {
        return Err(AppError::NotFound(<agency_clients::Entity as crate::auth::policy::Guarded>::NAME).into());
    }
    let row = crud::get::<agency_clients::Entity>(ctx, id).await?;
    crud::publish::<agency_clients::Entity>(ctx, ChangeKind::Updated, &row);
    Ok(row.into())
}
