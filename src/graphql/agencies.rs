//! GraphQL for `agency_clients`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use entity::agency_clients;
use rust_decimal::Decimal;
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page};
use crate::auth::policy;
use crate::error::AppResult;

/// A new agency client.
#[derive(InputObject)]
pub struct CreateAgencyClientInput {
    /// The user the row belongs to: only the service role names it; a user's rows are their own.
    pub agency_user_id: Option<Uuid>,
    /// `client_user_id`.
    pub client_user_id: Uuid,
    /// `client_name`.
    pub client_name: String,
    /// `client_brand`.
    pub client_brand: Option<String>,
    /// `permissions`.
    pub permissions: Option<Json>,
    /// `billing_allocation`.
    pub billing_allocation: Option<Decimal>,
    /// `is_active`.
    pub is_active: Option<bool>,
}

/// Changes to a agency client: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateAgencyClientInput {
    /// `client_user_id`.
    pub client_user_id: Option<Uuid>,
    /// `client_name`.
    pub client_name: Option<String>,
    /// `client_brand`.
    pub client_brand: MaybeUndefined<String>,
    /// `permissions`.
    pub permissions: MaybeUndefined<Json>,
    /// `billing_allocation`.
    pub billing_allocation: MaybeUndefined<Decimal>,
    /// `is_active`.
    pub is_active: MaybeUndefined<bool>,
}

impl CreateAgencyClientInput {
    fn validate(&self) -> AppResult<()> {
        check::not_blank("clientName", &self.client_name)?;
        if let Some(v) = &self.permissions {
            check::json_object("permissions", v)?;
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
            check::json_object("permissions", v)?;
        }
        if let Some(v) = self.billing_allocation.value() {
            check::decimal("billingAllocation", *v, 5, 2, None)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut agency_clients::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.client_user_id, self.client_user_id);
        crud::set(&mut row.client_name, self.client_name);
        crud::patch(&mut row.client_brand, self.client_brand);
        crud::patch(&mut row.permissions, self.permissions);
        crud::patch(&mut row.billing_allocation, self.billing_allocation);
        crud::patch(&mut row.is_active, self.is_active);
        Ok(())
    }
}

#[derive(Default)]
pub struct AgencyClientQuery;

#[Object]
impl AgencyClientQuery {
    /// One agency client by id; `NOT_FOUND` unless the caller may read it.
    async fn agency_client(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<agency_clients::Model> {
        Ok(crud::get::<agency_clients::Entity>(ctx, id).await?)
    }

    /// The agency clients the caller may read, a page at a time.
    async fn agency_clients(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Page<agency_clients::Model>> {
        crud::list::<agency_clients::Entity>(ctx, after, first).await
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
    ) -> async_graphql::Result<agency_clients::Model> {
        input.validate()?;
        let owner = policy::required_owner(
            policy::owner_for_create::<agency_clients::Entity>(crud::viewer(ctx)?, input.agency_user_id)?,
            "agencyUserId",
        )?;
        crud::ensure_client(ctx, input.client_user_id, owner).await?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<agency_clients::Entity>(ctx, row).await?)
    }

    /// Changes a agency client; `NOT_FOUND` unless the caller may change it.
    async fn update_agency_client(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateAgencyClientInput,
    ) -> async_graphql::Result<agency_clients::Model> {
        input.validate()?;
        let owner = crud::owner_for_update::<agency_clients::Entity>(ctx, id, |row| row.agency_user_id).await?;
        if let Some(client) = input.client_user_id {
            crud::ensure_client(ctx, client, owner).await?;
        }
        Ok(crud::update::<agency_clients::Entity>(ctx, id, |row| input.apply(row)).await?)
    }

    /// Deletes a agency client; `NOT_FOUND` unless the caller may delete it.
    async fn delete_agency_client(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<agency_clients::Entity>(ctx, id).await?)
    }
}
