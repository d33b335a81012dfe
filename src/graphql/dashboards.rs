//! Aggregates for dashboards, computed in the database (GROUP BY) over the rows the caller may
//! read, the same on PostgreSQL and SQLite.
use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::NaiveDate;
use entity::{content_drafts, content_performance, creator_analytics, usage_tracking};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{ColumnTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select};
use uuid::Uuid;

use super::crud;
use crate::auth::Viewer;
use crate::auth::policy::{self, Guarded, Op};
use crate::error::{AppError, AppResult};

/// The longest range one aggregate may cover.
const MAX_RANGE_DAYS: i64 = 366 * 2;

/// How usage is grouped.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum UsageGrouping {
    Day,
    ActionType,
    Platform,
}

/// Credits consumed in one group.
#[derive(SimpleObject, FromQueryResult)]
pub struct UsageBucket {
    /// The day, when grouped by day.
    pub day: Option<NaiveDate>,
    /// The action type, when grouped by action type.
    pub action_type: Option<String>,
    /// The platform, when grouped by platform.
    pub platform: Option<String>,
    /// Credits consumed.
    pub credits: Decimal,
    /// Usage records.
    pub records: i64,
}

/// Drafts in one group.
#[derive(SimpleObject, FromQueryResult)]
pub struct DraftCount {
    /// The status or platform of the group.
    pub key: Option<String>,
    /// How many drafts.
    pub count: i64,
}

/// Draft counts and rates.
#[derive(SimpleObject)]
pub struct DraftStats {
    /// Drafts per status.
    pub by_status: Vec<DraftCount>,
    /// Drafts per platform.
    pub by_platform: Vec<DraftCount>,
    /// Approved and published drafts over all reviewed (approved, published, rejected) ones;
    /// null when none was reviewed.
    pub acceptance_rate: Option<f64>,
    /// The mean voice confidence of the drafts, to four places.
    pub average_voice_confidence: Option<Decimal>,
}

/// Daily analytics summed over a range, per platform.
#[derive(SimpleObject, FromQueryResult)]
pub struct AnalyticsTotals {
    pub platform: String,
    pub drafts_generated: i64,
    pub drafts_accepted: i64,
    pub drafts_rejected: i64,
    pub content_published: i64,
    pub total_impressions: i64,
    pub total_engagements: i64,
    /// The mean daily engagement rate, to four places.
    pub average_engagement_rate: Option<Decimal>,
}

/// Content performance summed over a range, per platform of the draft.
#[derive(SimpleObject, FromQueryResult)]
pub struct PerformanceTotals {
    pub platform: String,
    pub posts: i64,
    pub impressions: i64,
    pub likes: i64,
    pub shares: i64,
    pub comments: i64,
    pub clicks: i64,
    /// The mean engagement rate, to four places.
    pub average_engagement_rate: Option<Decimal>,
    /// The mean performance score, to two places.
    pub average_performance_score: Option<Decimal>,
}

fn check_range(from: NaiveDate, to: NaiveDate) -> AppResult<()> {
    if to < from {
        return Err(AppError::bad_input("to", "must not be before `from`"));
    }
    if (to - from).num_days() > MAX_RANGE_DAYS {
        return Err(AppError::bad_input("to", format!("the range may span at most {MAX_RANGE_DAYS} days")));
    }
    Ok(())
}

/// The rows of `E` the caller may read; the service role may narrow them to one user.
fn scoped<E: Guarded>(ctx: &Context<'_>, user_id: Option<Uuid>, user_column: E::Column) -> AppResult<Select<E>> {
    let viewer = crud::viewer(ctx)?;
    let select = policy::scope::<E>(viewer, Op::Read, crud::db(ctx)?.get_database_backend())?;
    match (viewer, user_id) {
        (Viewer::Service, Some(user)) => Ok(select.filter(user_column.eq(user))),
        (_, None) => Ok(select),
        (_, Some(user)) if viewer.user_id().is_ok_and(|me| me == user) => Ok(select),
        (_, Some(_)) => Err(AppError::bad_input("userId", "only the service role may set it")),
    }
}

fn sum_int(column: &str) -> Expr {
    Expr::cust(format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"))
}

#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// Credits consumed between `from` and `to` (inclusive), grouped as asked.
    async fn usage_summary(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        group_by: Vec<UsageGrouping>,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<Vec<UsageBucket>> {
        check_range(from, to)?;
        let mut select = scoped::<usage_tracking::Entity>(ctx, user_id, usage_tracking::Column::UserId)?
            .filter(usage_tracking::Column::UsageDate.between(from, to))
            .select_only()
            .column_as(Expr::cust("ROUND(COALESCE(SUM(credits_consumed), 0), 2)"), "credits")
            .column_as(Expr::cust("COUNT(*)"), "records");
        let groups = [
            (UsageGrouping::Day, usage_tracking::Column::UsageDate, "day"),
            (UsageGrouping::ActionType, usage_tracking::Column::ActionType, "action_type"),
            (UsageGrouping::Platform, usage_tracking::Column::Platform, "platform"),
        ];
        for (grouping, column, alias) in groups {
            if group_by.contains(&grouping) {
                select = select.column_as(column, alias).group_by(column).order_by_asc(column);
            } else {
                select = select.column_as(Expr::cust("NULL"), alias);
            }
        }
        Ok(select.into_model::<UsageBucket>().all(crud::db(ctx)?).await.map_err(AppError::from)?)
    }

    /// Draft counts per status and platform, the acceptance rate and the mean voice confidence,
    /// optionally for drafts created between `from` and `to`.
    async fn draft_stats(
        &self,
        ctx: &Context<'_>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<DraftStats> {
        let mut base = scoped::<content_drafts::Entity>(ctx, user_id, content_drafts::Column::UserId)?;
        if let Some(from) = from {
            base = base.filter(content_drafts::Column::CreatedAt.gte(from.and_hms_opt(0, 0, 0).map(|t| t.and_utc())));
        }
        if let Some(to) = to {
            let end = to.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
            base = base.filter(content_drafts::Column::CreatedAt.lt(end));
        }
        let db = crud::db(ctx)?;
        let count_by = |column: content_drafts::Column| {
            base.clone()
                .select_only()
                .column_as(column, "key")
                .column_as(Expr::cust("COUNT(*)"), "count")
                .group_by(column)
                .order_by_asc(column)
                .into_model::<DraftCount>()
        };
        let by_status = count_by(content_drafts::Column::Status).all(db).await.map_err(AppError::from)?;
        let by_platform = count_by(content_drafts::Column::Platform).all(db).await.map_err(AppError::from)?;
        let count = |statuses: &[&str]| {
            by_status
                .iter()
                .filter(|c| c.key.as_deref().is_some_and(|k| statuses.contains(&k)))
                .map(|c| c.count)
                .sum::<i64>()
        };
        let accepted = count(&["approved", "published"]);
        let reviewed = accepted + count(&["rejected"]);
        let average: Option<(Option<Decimal>,)> = base
            .select_only()
            .column_as(Expr::cust("ROUND(AVG(voice_confidence_score), 4)"), "average")
            .into_tuple()
            .one(db)
            .await
            .map_err(AppError::from)?;
        Ok(DraftStats {
            acceptance_rate: (reviewed > 0).then(|| accepted as f64 / reviewed as f64),
            average_voice_confidence: average.and_then(|(a,)| a).map(|d| d.normalize()),
            by_status,
            by_platform,
        })
    }

    /// Daily analytics between `from` and `to` (inclusive), summed per platform.
    async fn analytics_summary(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<Vec<AnalyticsTotals>> {
        check_range(from, to)?;
        let select = scoped::<creator_analytics::Entity>(ctx, user_id, creator_analytics::Column::UserId)?
            .filter(creator_analytics::Column::MetricDate.between(from, to))
            .select_only()
            .column(creator_analytics::Column::Platform)
            .column_as(sum_int("drafts_generated"), "drafts_generated")
            .column_as(sum_int("drafts_accepted"), "drafts_accepted")
            .column_as(sum_int("drafts_rejected"), "drafts_rejected")
            .column_as(sum_int("content_published"), "content_published")
            .column_as(sum_int("total_impressions"), "total_impressions")
            .column_as(sum_int("total_engagements"), "total_engagements")
            .column_as(Expr::cust("ROUND(AVG(engagement_rate), 4)"), "average_engagement_rate")
            .group_by(creator_analytics::Column::Platform)
            .order_by_asc(creator_analytics::Column::Platform);
        Ok(select.into_model::<AnalyticsTotals>().all(crud::db(ctx)?).await.map_err(AppError::from)?)
    }

    /// Performance of drafts recorded between `from` and `to` (inclusive), summed per platform.
    async fn performance_summary(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<Vec<PerformanceTotals>> {
        check_range(from, to)?;
        let start = from.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let end = to.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
        let drafts = Alias::new("d");
        let select = scoped::<content_performance::Entity>(ctx, user_id, content_performance::Column::UserId)?
            .filter(content_performance::Column::CreatedAt.gte(start))
            .filter(content_performance::Column::CreatedAt.lt(end))
            .join_as(JoinType::InnerJoin, content_performance::Relation::ContentDrafts.def(), drafts.clone())
            .select_only()
            .column_as(Expr::col((drafts.clone(), content_drafts::Column::Platform)), "platform")
            .column_as(Expr::cust("COUNT(*)"), "posts")
            .column_as(sum_int("impressions"), "impressions")
            .column_as(sum_int("likes"), "likes")
            .column_as(sum_int("shares"), "shares")
            .column_as(sum_int("comments"), "comments")
            .column_as(sum_int("clicks"), "clicks")
            .column_as(Expr::cust("ROUND(AVG(content_performance.engagement_rate), 4)"), "average_engagement_rate")
            .column_as(Expr::cust("ROUND(AVG(performance_score), 2)"), "average_performance_score")
            .group_by(Expr::col((drafts.clone(), content_drafts::Column::Platform)))
            .order_by_asc(Expr::col((drafts, content_drafts::Column::Platform)));
        Ok(select.into_model::<PerformanceTotals>().all(crud::db(ctx)?).await.map_err(AppError::from)?)
    }
}
