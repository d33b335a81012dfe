//! Agencies and the clients they manage: the relationship, and the client's drafts reached
//! through it while the client's consent holds.
pub mod consent;

use async_graphql::{Context, Object};
use entity::table::Creates;
use entity::{agency_clients, content_drafts};
use uuid::Uuid;

use crate::auth::policy;
use crate::content::drafts::ContentDraft;
use crate::table::{self, Page, loaders};

/// An agency's relationship with a client (seed 8.1). The rights it asks for (`permissions`)
/// delegate nothing until the client consents (`consentedPermissions`).
#[derive(Clone, macros::Resource)]
#[resource(table = "agency_clients", fetch, list, delete, reads(client_drafts = "client_user_id"))]
pub struct AgencyClient(pub agency_clients::Model);

#[Object]
impl AgencyClient {
    #[graphql(flatten)]
    async fn columns(&self) -> &agency_clients::Model {
        &self.0
    }

    /// The client's drafts, while the relationship is accepted and active and the client's
    /// consent covers `read_drafts` (the client itself always sees its own).
    #[graphql(complexity = "crate::table::page_complexity(first, None, child_complexity)")]
    async fn client_drafts(
        &self,
        ctx: &Context<'_>,
        filter: Option<Box<content_drafts::Filter>>,
        order_by: Option<Vec<content_drafts::Order>>,
        first: Option<i32>,
        #[graphql(desc = "The edges after this cursor (an edge's `cursor` of this list with the same ordering).")]
        after: Option<String>,
        #[graphql(desc = "The edges before this cursor (an edge's `cursor` of this list with the same ordering).")]
        before: Option<String>,
    ) -> async_graphql::Result<Page<ContentDraft>> {
        let key = content_drafts::Column::UserId;
        loaders::children::<content_drafts::Entity, _>(
            ctx,
            key,
            self.0.client_user_id,
            filter,
            order_by,
            first,
            after,
            before,
        )
        .await
    }
}

#[derive(Default)]
pub struct AgencyClientWrites;

#[Object]
impl AgencyClientWrites {
    /// Invites a client: another existing user, who has to accept before anything delegates.
    async fn create_agency_client(
        &self,
        ctx: &Context<'_>,
        input: agency_clients::CreateInput,
    ) -> async_graphql::Result<AgencyClient> {
        let viewer = table::viewer(ctx)?;
        let agency = policy::owner_for_create::<agency_clients::Entity>(viewer, input.owner(), "agencyUserId")?;
        if let Some(agency) = agency {
            table::ensure_client(ctx, input.client_user_id, agency).await?;
        }
        Ok(table::create::<agency_clients::Entity, _>(ctx, input).await?.into())
    }

    /// Changes an agency client; `NOT_FOUND` unless the caller may change it. Narrowing
    /// `permissions` or deactivating applies at once; widening waits for the client's consent.
    async fn update_agency_client(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: agency_clients::UpdateInput,
    ) -> async_graphql::Result<AgencyClient> {
        Ok(table::update::<agency_clients::Entity, _>(ctx, id, input).await?.into())
    }
}
