//! GraphQL for `agency_clients`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use entity::agency_clients;
use rust_decimal::Decimal;
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page, PageArgs};
use super::drafts::{ContentDraft, ContentDraftFilter, ContentDraftOrder};
use super::filter::{table_filter, table_order};
use super::loaders;
use crate::auth::policy;
use crate::error::AppResult;
use entity::content_drafts;

/// A new agency client.
#[derive(InputObject)]
pub struct CreateAgencyClientInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub agency_user_id: Option<Uuid>,
    /// The client: another existing user. It never changes; another client is another
    /// relationship, with its own consent.
    pub client_user_id: Uuid,
    /// `client_name`.
    pub client_name: String,
    /// `client_brand`.
    pub client_brand: Option<String>,
    /// The rights the agency asks for, e.g. `{ "read_drafts": true }`; they apply once the
    /// client accepts.
    pub permissions: Option<Json>,
    /// `billing_allocation`.
    pub billing_allocation: Option<Decimal>,
    /// `is_active`.
    pub is_active: Option<bool>,
}

/// Changes to a agency client: absent fields stay as they are; `null` clears a nullable field.
/// The agency and the client never change.
#[derive(InputObject)]
pub struct UpdateAgencyClientInput {
    /// `client_name`.
    pub client_name: Option<String>,
    /// `client_brand`.
    pub client_brand: MaybeUndefined<String>,
    /// The rights the agency asks for. Rights taken away apply at once; rights added apply
    /// only once the client accepts again (`consentedPermissions` shows what holds).
    pub permissions: MaybeUndefined<Json>,
    /// `billing_allocation`.
    pub billing_allocation: MaybeUndefined<Decimal>,
    /// `is_active`: `false` suspends every delegated right at once; `true` again restores the
    /// rights the client consented to (within `permissions`), no more.
    pub is_active: MaybeUndefined<bool>,
}

impl CreateAgencyClientInput {
    fn validate(&self) -> AppResult<()> {
        check::not_blank("clientName", &self.client_name)?;
        if let Some(v) = &self.permissions {
            check::permissions("permissions", v)?;
        }
        if let Some(v) = &self.billing_allocation {
            check::decimal("billingAllocation", *v, 5, 2, None)?;
        }
        Ok(())
    }

    fn into_row(self, owner: Uuid) -> AppResult<agency_clients::ActiveModel> {
        Ok(agency_clients::ActiveModel {
            id: Set(Uuid::new_v4()),
            agency_user_id: Set(owner),
            client_user_id: Set(self.client_user_id),
            client_name: Set(self.client_name),
            client_brand: self.client_brand.map_or(NotSet, |v| Set(Some(v))),
            permissions: self.permissions.map_or(NotSet, |v| Set(Some(v))),
            billing_allocation: self.billing_allocation.map_or(NotSet, |v| Set(Some(v))),
            is_active: self.is_active.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateAgencyClientInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.client_name {
            check::not_blank("clientName", v)?;
        }
        if let Some(v) = self.permissions.value() {
            check::permissions("permissions", v)?;
        }
        if let Some(v) = self.billing_allocation.value() {
            check::decimal("billingAllocation", *v, 5, 2, None)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut agency_clients::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.client_name, self.client_name);
        crud::patch(&mut row.client_brand, self.client_brand);
        crud::patch(&mut row.permissions, self.permissions);
        crud::patch(&mut row.billing_allocation, self.billing_allocation);
        crud::patch(&mut row.is_active, self.is_active);
        Ok(())
    }
}

/// Agencies managing client creators (seed 8.1).
#[derive(Clone)]
pub struct AgencyClient(pub agency_clients::Model);

impl From<agency_clients::Model> for AgencyClient {
    fn from(row: agency_clients::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl AgencyClient {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// `agency_user_id`.
    async fn agency_user_id(&self) -> Uuid {
        self.0.agency_user_id
    }

    /// `client_user_id`.
    async fn client_user_id(&self) -> Uuid {
        self.0.client_user_id
    }

    /// `client_name`.
    async fn client_name(&self) -> &str {
        &self.0.client_name
    }

    /// `client_brand`.
    async fn client_brand(&self) -> Option<&str> {
        self.0.client_brand.as_deref()
    }

    /// The rights the agency asks for. They delegate nothing by themselves: see
    /// `consentedPermissions`.
    async fn permissions(&self) -> Option<&Json> {
        self.0.permissions.as_ref()
    }

    /// The rights the client consented to and the agency holds while the relationship is
    /// `accepted` and active, e.g. `{ "read_drafts": true }`: what the client accepted, cut
    /// down at once whenever `permissions` is narrowed. `null` until the client accepts and
    /// after it revokes. When it falls short of `permissions`, the rights asked for beyond it
    /// wait for the client to call `acceptAgencyInvitation` again.
    async fn consented_permissions(&self) -> Option<&Json> {
        self.0.consented_permissions.as_ref()
    }

    /// `billing_allocation`.
    async fn billing_allocation(&self) -> Option<Decimal> {
        self.0.billing_allocation
    }

    /// `is_active`.
    async fn is_active(&self) -> Option<bool> {
        self.0.is_active
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// When the row last changed (kept by the database).
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }

    /// One of: `invited`, `accepted`, `revoked`.
    async fn status(&self) -> &str {
        &self.0.status
    }

    /// When the client last accepted (the invitation, or rights widened since).
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }

    /// `revoked_at`.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// The client's drafts, while the relationship is accepted and active and the client's
    /// consent covers `read_drafts` (the client itself always sees its own).
    #[graphql(complexity = "crud::page_complexity(first, None, child_complexity)")]
    async fn client_drafts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContentDraftFilter>,
        order_by: Option<Vec<ContentDraftOrder>>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<ContentDraft>> {
        loaders::children::<content_drafts::Entity, ContentDraft, _, _>(
            ctx,
            content_drafts::Column::UserId,
            self.0.client_user_id,
            filter,
            order_by,
            first,
        )
        .await
    }
}

table_filter! {
    /// Conditions on agency clients; fields combine with AND.
    AgencyClientFilter for agency_clients {
        id ("id"): UuidFilter => Id,
        agency_user_id ("agencyUserId"): UuidFilter => AgencyUserId,
        client_user_id ("clientUserId"): UuidFilter => ClientUserId,
        client_name ("clientName"): StringFilter => ClientName,
        client_brand ("clientBrand"): StringFilter => ClientBrand,
        permissions ("permissions"): JsonFilter => Permissions,
        consented_permissions ("consentedPermissions"): JsonFilter => ConsentedPermissions,
        billing_allocation ("billingAllocation"): DecimalFilter => BillingAllocation,
        is_active ("isActive"): BooleanFilter => IsActive,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
        updated_at ("updatedAt"): DateTimeFilter => UpdatedAt,
        status ("status"): StringFilter => Status,
        accepted_at ("acceptedAt"): DateTimeFilter => AcceptedAt,
        revoked_at ("revokedAt"): DateTimeFilter => RevokedAt,
    }
}

table_order! {
    /// One sort key of agency clients; ties are broken by id.
    AgencyClientOrder, AgencyClientOrderField for agency_clients {
        Id, AgencyUserId, ClientUserId, ClientName, ClientBrand, BillingAllocation, IsActive, CreatedAt, UpdatedAt, Status, AcceptedAt, RevokedAt,
    }
}

#[derive(Default)]
pub struct AgencyClientQuery;

#[Object]
impl AgencyClientQuery {
    /// One agency client by id; `NOT_FOUND` unless the caller may read it.
    async fn agency_client(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<AgencyClient> {
        Ok(crud::get::<agency_clients::Entity>(ctx, id).await?.into())
    }

    /// The agency clients the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn agency_clients(
        &self,
        ctx: &Context<'_>,
        filter: Option<AgencyClientFilter>,
        order_by: Option<Vec<AgencyClientOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<AgencyClient>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<agency_clients::Entity, AgencyClient, _, _>(ctx, filter, order_by, args).await
    }
}

#[derive(Default)]
pub struct AgencyClientMutation;

#[Object]
impl AgencyClientMutation {
    /// Creates a agency client.
    async fn create_agency_client(
        &self,
        ctx: &Context<'_>,
        input: CreateAgencyClientInput,
    ) -> async_graphql::Result<AgencyClient> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<agency_clients::Entity>(
                crud::viewer(ctx)?,
                input.agency_user_id,
                "agencyUserId",
            )?,
            "agencyUserId",
        )?;
        crud::ensure_client(ctx, input.client_user_id, owner).await?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<agency_clients::Entity>(ctx, row).await?.into())
    }

    /// Changes a agency client; `NOT_FOUND` unless the caller may change it. Narrowing
    /// `permissions` or deactivating applies at once; widening waits for the client's consent.
    async fn update_agency_client(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateAgencyClientInput,
    ) -> async_graphql::Result<AgencyClient> {
        input.validate()?;
        Ok(crud::update::<agency_clients::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a agency client; `NOT_FOUND` unless the caller may delete it.
    async fn delete_agency_client(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<agency_clients::Entity>(ctx, id).await?)
    }
}
