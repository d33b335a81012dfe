//! GraphQL for `ai_processing_logs`, `system_health_metrics`: types, inputs that mirror the CHECKs, and resolvers
//! that go through the policy.
use async_graphql::{Context, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use entity::{ai_processing_logs, system_health_metrics};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::Value as Json;
use uuid::Uuid;

use super::check;
use super::crud::{self, Page, PageArgs};
use super::filter::{table_filter, table_order};
use crate::auth::policy;
use crate::error::AppResult;

/// A new ai processing log.
#[derive(InputObject)]
pub struct CreateAiProcessingLogInput {
    /// The user the row belongs to (only the service role creates these rows, and must name the user).
    pub user_id: Option<Uuid>,
    /// One of: `content_generation`, `trend_analysis`, `voice_training`, `performance_prediction`.
    pub processing_type: String,
    /// `input_data`.
    pub input_data: Json,
    /// `output_data`.
    pub output_data: Option<Json>,
    /// `model_version`.
    pub model_version: Option<String>,
    /// `processing_time_ms`.
    pub processing_time_ms: Option<i32>,
    /// `tokens_consumed`.
    pub tokens_consumed: Option<i32>,
    /// One of: `pending`, `completed`, `failed`, `timeout`.
    pub status: Option<String>,
    /// `error_message`.
    pub error_message: Option<String>,
    /// `webhook_response`.
    pub webhook_response: Option<Json>,
    /// `completed_at`.
    pub completed_at: Option<DateTime<Utc>>,
}

/// Changes to a ai processing log: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateAiProcessingLogInput {
    /// One of: `content_generation`, `trend_analysis`, `voice_training`, `performance_prediction`.
    pub processing_type: Option<String>,
    /// `input_data`.
    pub input_data: Option<Json>,
    /// `output_data`.
    pub output_data: MaybeUndefined<Json>,
    /// `model_version`.
    pub model_version: MaybeUndefined<String>,
    /// `processing_time_ms`.
    pub processing_time_ms: MaybeUndefined<i32>,
    /// `tokens_consumed`.
    pub tokens_consumed: MaybeUndefined<i32>,
    /// One of: `pending`, `completed`, `failed`, `timeout`.
    pub status: MaybeUndefined<String>,
    /// `error_message`.
    pub error_message: MaybeUndefined<String>,
    /// `webhook_response`.
    pub webhook_response: MaybeUndefined<Json>,
    /// `completed_at`.
    pub completed_at: MaybeUndefined<DateTime<Utc>>,
}

impl CreateAiProcessingLogInput {
    fn validate(&self) -> AppResult<()> {
        check::one_of(
            "processingType",
            &self.processing_type,
            &["content_generation", "trend_analysis", "voice_training", "performance_prediction"],
        )?;
        if let Some(v) = &self.processing_time_ms {
            check::range_i64("processingTimeMs", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.tokens_consumed {
            check::range_i64("tokensConsumed", *v, 0, i64::MAX)?;
        }
        if let Some(v) = &self.status {
            check::one_of("status", v, &["pending", "completed", "failed", "timeout"])?;
        }
        Ok(())
    }

    fn into_row(self, owner: Option<Uuid>) -> AppResult<ai_processing_logs::ActiveModel> {
        Ok(ai_processing_logs::ActiveModel {
            id: Set(Uuid::new_v4()),
            user_id: Set(owner),
            processing_type: Set(self.processing_type),
            input_data: Set(self.input_data),
            output_data: self.output_data.map_or(NotSet, |v| Set(Some(v))),
            model_version: self.model_version.map_or(NotSet, |v| Set(Some(v))),
            processing_time_ms: self.processing_time_ms.map_or(NotSet, |v| Set(Some(v))),
            tokens_consumed: self.tokens_consumed.map_or(NotSet, |v| Set(Some(v))),
            status: self.status.map_or(NotSet, |v| Set(Some(v))),
            error_message: self.error_message.map_or(NotSet, |v| Set(Some(v))),
            webhook_response: self.webhook_response.map_or(NotSet, |v| Set(Some(v))),
            completed_at: self.completed_at.map_or(NotSet, |v| Set(Some(v))),
            ..Default::default()
        })
    }
}

impl UpdateAiProcessingLogInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.processing_type {
            check::one_of(
                "processingType",
                v,
                &["content_generation", "trend_analysis", "voice_training", "performance_prediction"],
            )?;
        }
        if let Some(v) = self.processing_time_ms.value() {
            check::range_i64("processingTimeMs", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.tokens_consumed.value() {
            check::range_i64("tokensConsumed", *v, 0, i64::MAX)?;
        }
        if let Some(v) = self.status.value() {
            check::one_of("status", v, &["pending", "completed", "failed", "timeout"])?;
        }
        Ok(())
    }

    fn apply(self, row: &mut ai_processing_logs::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.processing_type, self.processing_type);
        crud::set(&mut row.input_data, self.input_data);
        crud::patch(&mut row.output_data, self.output_data);
        crud::patch(&mut row.model_version, self.model_version);
        crud::patch(&mut row.processing_time_ms, self.processing_time_ms);
        crud::patch(&mut row.tokens_consumed, self.tokens_consumed);
        crud::patch(&mut row.status, self.status);
        crud::patch(&mut row.error_message, self.error_message);
        crud::patch(&mut row.webhook_response, self.webhook_response);
        crud::patch(&mut row.completed_at, self.completed_at);
        Ok(())
    }
}

/// AI processing runs, for debugging and cost (seed 9.1).
#[derive(Clone)]
pub struct AiProcessingLog(pub ai_processing_logs::Model);

impl From<ai_processing_logs::Model> for AiProcessingLog {
    fn from(row: ai_processing_logs::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl AiProcessingLog {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// The user the row belongs to.
    async fn user_id(&self) -> Option<Uuid> {
        self.0.user_id
    }

    /// One of: `content_generation`, `trend_analysis`, `voice_training`, `performance_prediction`.
    async fn processing_type(&self) -> &str {
        &self.0.processing_type
    }

    /// `input_data`.
    async fn input_data(&self) -> &Json {
        &self.0.input_data
    }

    /// `output_data`.
    async fn output_data(&self) -> Option<&Json> {
        self.0.output_data.as_ref()
    }

    /// `model_version`.
    async fn model_version(&self) -> Option<&str> {
        self.0.model_version.as_deref()
    }

    /// `processing_time_ms`.
    async fn processing_time_ms(&self) -> Option<i32> {
        self.0.processing_time_ms
    }

    /// `tokens_consumed`.
    async fn tokens_consumed(&self) -> Option<i32> {
        self.0.tokens_consumed
    }

    /// One of: `pending`, `completed`, `failed`, `timeout`.
    async fn status(&self) -> Option<&str> {
        self.0.status.as_deref()
    }

    /// `error_message`.
    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }

    /// `webhook_response`.
    async fn webhook_response(&self) -> Option<&Json> {
        self.0.webhook_response.as_ref()
    }

    /// When the row was created.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }

    /// `completed_at`.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
}

table_filter! {
    /// Conditions on ai processing logs; fields combine with AND.
    AiProcessingLogFilter for ai_processing_logs {
        id ("id"): UuidFilter => Id,
        user_id ("userId"): UuidFilter => UserId,
        processing_type ("processingType"): StringFilter => ProcessingType,
        input_data ("inputData"): JsonFilter => InputData,
        output_data ("outputData"): JsonFilter => OutputData,
        model_version ("modelVersion"): StringFilter => ModelVersion,
        processing_time_ms ("processingTimeMs"): IntFilter => ProcessingTimeMs,
        tokens_consumed ("tokensConsumed"): IntFilter => TokensConsumed,
        status ("status"): StringFilter => Status,
        error_message ("errorMessage"): StringFilter => ErrorMessage,
        webhook_response ("webhookResponse"): JsonFilter => WebhookResponse,
        created_at ("createdAt"): DateTimeFilter => CreatedAt,
        completed_at ("completedAt"): DateTimeFilter => CompletedAt,
    }
}

table_order! {
    /// One sort key of ai processing logs; ties are broken by id.
    AiProcessingLogOrder, AiProcessingLogOrderField for ai_processing_logs {
        Id, UserId, ProcessingType, ModelVersion, ProcessingTimeMs, TokensConsumed, Status, ErrorMessage, CreatedAt, CompletedAt,
    }
}

#[derive(Default)]
pub struct AiProcessingLogQuery;

#[Object]
impl AiProcessingLogQuery {
    /// One ai processing log by id; `NOT_FOUND` unless the caller may read it.
    async fn ai_processing_log(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<AiProcessingLog> {
        Ok(crud::get::<ai_processing_logs::Entity>(ctx, id).await?.into())
    }

    /// The ai processing logs the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn ai_processing_logs(
        &self,
        ctx: &Context<'_>,
        filter: Option<AiProcessingLogFilter>,
        order_by: Option<Vec<AiProcessingLogOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<AiProcessingLog>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<ai_processing_logs::Entity, AiProcessingLog, _, _>(ctx, filter, order_by, args).await
    }
}

#[derive(Default)]
pub struct AiProcessingLogMutation;

#[Object]
impl AiProcessingLogMutation {
    /// Creates a ai processing log.
    async fn create_ai_processing_log(
        &self,
        ctx: &Context<'_>,
        input: CreateAiProcessingLogInput,
    ) -> async_graphql::Result<AiProcessingLog> {
        input.validate()?;
        let owner =
            policy::owner_for_create::<ai_processing_logs::Entity>(crud::viewer(ctx)?, input.user_id, "userId")?;
        let row = input.into_row(owner)?;
        Ok(crud::create::<ai_processing_logs::Entity>(ctx, row).await?.into())
    }

    /// Changes a ai processing log; `NOT_FOUND` unless the caller may change it.
    async fn update_ai_processing_log(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateAiProcessingLogInput,
    ) -> async_graphql::Result<AiProcessingLog> {
        input.validate()?;
        Ok(crud::update::<ai_processing_logs::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a ai processing log; `NOT_FOUND` unless the caller may delete it.
    async fn delete_ai_processing_log(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<ai_processing_logs::Entity>(ctx, id).await?)
    }
}

/// A new system health metric.
#[derive(InputObject)]
pub struct CreateSystemHealthMetricInput {
    /// `metric_name`.
    pub metric_name: String,
    /// `metric_value`.
    pub metric_value: Decimal,
    /// `metric_unit`.
    pub metric_unit: Option<String>,
    /// `tags`.
    pub tags: Option<Json>,
    /// `recorded_at`.
    pub recorded_at: Option<DateTime<Utc>>,
}

/// Changes to a system health metric: absent fields stay as they are; `null` clears a nullable field.
#[derive(InputObject)]
pub struct UpdateSystemHealthMetricInput {
    /// `metric_name`.
    pub metric_name: Option<String>,
    /// `metric_value`.
    pub metric_value: Option<Decimal>,
    /// `metric_unit`.
    pub metric_unit: MaybeUndefined<String>,
    /// `tags`.
    pub tags: MaybeUndefined<Json>,
    /// `recorded_at`.
    pub recorded_at: MaybeUndefined<DateTime<Utc>>,
}

impl CreateSystemHealthMetricInput {
    fn validate(&self) -> AppResult<()> {
        check::not_blank("metricName", &self.metric_name)?;
        check::decimal("metricValue", self.metric_value, 12, 4, None)?;
        if let Some(v) = &self.tags {
            check::json_object("tags", v)?;
        }
        Ok(())
    }

    fn into_row(self) -> AppResult<system_health_metrics::ActiveModel> {
        Ok(system_health_metrics::ActiveModel {
            id: Set(Uuid::new_v4()),
            metric_name: Set(self.metric_name),
            metric_value: Set(self.metric_value),
            metric_unit: self.metric_unit.map_or(NotSet, |v| Set(Some(v))),
            tags: self.tags.map_or(NotSet, |v| Set(Some(v))),
            recorded_at: self.recorded_at.map_or(NotSet, |v| Set(Some(v))),
        })
    }
}

impl UpdateSystemHealthMetricInput {
    fn validate(&self) -> AppResult<()> {
        if let Some(v) = &self.metric_name {
            check::not_blank("metricName", v)?;
        }
        if let Some(v) = &self.metric_value {
            check::decimal("metricValue", *v, 12, 4, None)?;
        }
        if let Some(v) = self.tags.value() {
            check::json_object("tags", v)?;
        }
        Ok(())
    }

    fn apply(self, row: &mut system_health_metrics::ActiveModel) -> AppResult<()> {
        crud::set(&mut row.metric_name, self.metric_name);
        crud::set(&mut row.metric_value, self.metric_value);
        crud::patch(&mut row.metric_unit, self.metric_unit);
        crud::patch(&mut row.tags, self.tags);
        crud::patch(&mut row.recorded_at, self.recorded_at);
        Ok(())
    }
}

/// Operational metrics (seed 9.2).
#[derive(Clone)]
pub struct SystemHealthMetric(pub system_health_metrics::Model);

impl From<system_health_metrics::Model> for SystemHealthMetric {
    fn from(row: system_health_metrics::Model) -> Self {
        Self(row)
    }
}

#[Object]
impl SystemHealthMetric {
    /// The row's id.
    async fn id(&self) -> Uuid {
        self.0.id
    }

    /// `metric_name`.
    async fn metric_name(&self) -> &str {
        &self.0.metric_name
    }

    /// `metric_value`.
    async fn metric_value(&self) -> Decimal {
        self.0.metric_value
    }

    /// `metric_unit`.
    async fn metric_unit(&self) -> Option<&str> {
        self.0.metric_unit.as_deref()
    }

    /// `tags`.
    async fn tags(&self) -> Option<&Json> {
        self.0.tags.as_ref()
    }

    /// `recorded_at`.
    async fn recorded_at(&self) -> Option<DateTime<Utc>> {
        self.0.recorded_at
    }
}

table_filter! {
    /// Conditions on system health metrics; fields combine with AND.
    SystemHealthMetricFilter for system_health_metrics {
        id ("id"): UuidFilter => Id,
        metric_name ("metricName"): StringFilter => MetricName,
        metric_value ("metricValue"): DecimalFilter => MetricValue,
        metric_unit ("metricUnit"): StringFilter => MetricUnit,
        tags ("tags"): JsonFilter => Tags,
        recorded_at ("recordedAt"): DateTimeFilter => RecordedAt,
    }
}

table_order! {
    /// One sort key of system health metrics; ties are broken by id.
    SystemHealthMetricOrder, SystemHealthMetricOrderField for system_health_metrics {
        Id, MetricName, MetricValue, MetricUnit, RecordedAt,
    }
}

#[derive(Default)]
pub struct SystemHealthMetricQuery;

#[Object]
impl SystemHealthMetricQuery {
    /// One system health metric by id; `NOT_FOUND` unless the caller may read it.
    async fn system_health_metric(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<SystemHealthMetric> {
        Ok(crud::get::<system_health_metrics::Entity>(ctx, id).await?.into())
    }

    /// The system health metrics the caller may read, a page at a time.
    #[graphql(complexity = "crud::page_complexity(first, last, child_complexity)")]
    async fn system_health_metrics(
        &self,
        ctx: &Context<'_>,
        filter: Option<SystemHealthMetricFilter>,
        order_by: Option<Vec<SystemHealthMetricOrder>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Page<SystemHealthMetric>> {
        let args = PageArgs { first, after, last, before };
        crud::list::<system_health_metrics::Entity, SystemHealthMetric, _, _>(ctx, filter, order_by, args).await
    }
}

#[derive(Default)]
pub struct SystemHealthMetricMutation;

#[Object]
impl SystemHealthMetricMutation {
    /// Creates a system health metric.
    async fn create_system_health_metric(
        &self,
        ctx: &Context<'_>,
        input: CreateSystemHealthMetricInput,
    ) -> async_graphql::Result<SystemHealthMetric> {
        input.validate()?;
        policy::owner_for_create::<system_health_metrics::Entity>(crud::viewer(ctx)?, None, "id")?;
        let row = input.into_row()?;
        Ok(crud::create::<system_health_metrics::Entity>(ctx, row).await?.into())
    }

    /// Changes a system health metric; `NOT_FOUND` unless the caller may change it.
    async fn update_system_health_metric(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateSystemHealthMetricInput,
    ) -> async_graphql::Result<SystemHealthMetric> {
        input.validate()?;
        Ok(crud::update::<system_health_metrics::Entity>(ctx, id, |row| input.apply(row)).await?.into())
    }

    /// Deletes a system health metric; `NOT_FOUND` unless the caller may delete it.
    async fn delete_system_health_metric(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        Ok(crud::delete::<system_health_metrics::Entity>(ctx, id).await?)
    }
}
