//! Aggregates for dashboards, computed in the database (GROUP BY) over the rows the caller may
//! read, the same on PostgreSQL and SQLite.
//!
//! Retention does not change the totals of the past: draft counts include archived drafts, and
//! performance includes the summaries that replace rows older than six months (see
//! `performance_summary`).
use std::collections::BTreeMap;

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::NaiveDate;
use entity::table::Table;
use entity::{
    content_drafts, content_drafts_archive, content_performance, content_performance_summaries, creator_analytics,
    usage_tracking,
};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait, Select,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::auth::policy::{self, Op};
use crate::error::{AppError, AppResult};
use crate::table;

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
#[derive(SimpleObject)]
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
fn scoped<E: Table>(ctx: &Context<'_>, user_id: Option<Uuid>, user_column: E::Column) -> AppResult<Select<E>> {
    let viewer = table::viewer(ctx)?;
    let select = policy::scope::<E>(viewer, Op::Read, table::db(ctx)?.get_database_backend())?;
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

/// `sum / count` at `scale` places, rounded half away from zero as SQL's `ROUND` does; `None`
/// when nothing was counted. The sum is first cut to `scale` places, which it has (SQLite's
/// doubles may carry noise beyond them).
fn mean(sum: Option<Decimal>, count: i64, scale: u32) -> Option<Decimal> {
    let sum = sum?.round_dp(scale);
    (count > 0).then(|| {
        let mut mean =
            (sum / Decimal::from(count)).round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
        mean.rescale(scale);
        mean
    })
}

/// The sum of two SQL sums, either of which is null when it summed no row.
fn plus(a: Option<Decimal>, b: Option<Decimal>) -> Option<Decimal> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

/// The first instant of `day` (UTC).
fn start_of(day: NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
    day.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

/// Drafts per key, the same keys of live and archived drafts added up; ordered by key, a
/// missing key last.
fn add_counts(counts: impl IntoIterator<Item = DraftCount>) -> Vec<DraftCount> {
    let mut sums: BTreeMap<(bool, Option<String>), i64> = BTreeMap::new();
    for c in counts {
        *sums.entry((c.key.is_none(), c.key)).or_default() += c.count;
    }
    sums.into_iter().map(|((_, key), count)| DraftCount { key, count }).collect()
}

/// Draft counts of one table (live or archived drafts).
struct DraftTally {
    by_status: Vec<DraftCount>,
    by_platform: Vec<DraftCount>,
    confidence_sum: Option<Decimal>,
    confidence_count: i64,
}

async fn tally<E: EntityTrait>(
    db: &DatabaseConnection,
    drafts: Select<E>,
    status: E::Column,
    platform: E::Column,
) -> AppResult<DraftTally> {
    let count_by = |column: E::Column| {
        drafts
            .clone()
            .select_only()
            .column_as(column, "key")
            .column_as(Expr::cust("COUNT(*)"), "count")
            .group_by(column)
            .into_model::<DraftCount>()
    };
    let by_status = count_by(status).all(db).await?;
    let by_platform = count_by(platform).all(db).await?;
    let confidence: Option<(Option<Decimal>, i64)> = drafts
        .select_only()
        .column_as(Expr::cust("ROUND(SUM(voice_confidence_score), 2)"), "sum")
        .column_as(Expr::cust("COUNT(voice_confidence_score)"), "count")
        .into_tuple()
        .one(db)
        .await?;
    let (confidence_sum, confidence_count) = confidence.unwrap_or((None, 0));
    Ok(DraftTally { by_status, by_platform, confidence_sum, confidence_count })
}

/// The sums and counts behind one platform's performance totals, from detail rows or from
/// summaries.
#[derive(FromQueryResult)]
struct PerformanceParts {
    platform: Option<String>,
    posts: i64,
    impressions: i64,
    likes: i64,
    shares: i64,
    comments: i64,
    clicks: i64,
    engagement_rate_sum: Option<Decimal>,
    engagement_rate_count: i64,
    performance_score_sum: Option<Decimal>,
    performance_score_count: i64,
}

impl PerformanceParts {
    fn add(&mut self, other: &PerformanceParts) {
        self.posts += other.posts;
        self.impressions += other.impressions;
        self.likes += other.likes;
        self.shares += other.shares;
        self.comments += other.comments;
        self.clicks += other.clicks;
        self.engagement_rate_sum = plus(self.engagement_rate_sum, other.engagement_rate_sum);
        self.engagement_rate_count += other.engagement_rate_count;
        self.performance_score_sum = plus(self.performance_score_sum, other.performance_score_sum);
        self.performance_score_count += other.performance_score_count;
    }
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
        Ok(select.into_model::<UsageBucket>().all(table::db(ctx)?).await.map_err(AppError::from)?)
    }

    /// Draft counts per status and platform, the acceptance rate and the mean voice confidence,
    /// optionally for drafts created between `from` and `to`. Archived drafts count too, so
    /// archiving changes none of these.
    async fn draft_stats(
        &self,
        ctx: &Context<'_>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<DraftStats> {
        let start = from.map(start_of);
        let end = to.map(|to| to.succ_opt().and_then(start_of));
        let mut live = scoped::<content_drafts::Entity>(ctx, user_id, content_drafts::Column::UserId)?;
        let mut archived =
            scoped::<content_drafts_archive::Entity>(ctx, user_id, content_drafts_archive::Column::UserId)?;
        if let Some(start) = start {
            live = live.filter(content_drafts::Column::CreatedAt.gte(start));
            archived = archived.filter(content_drafts_archive::Column::CreatedAt.gte(start));
        }
        if let Some(end) = end {
            live = live.filter(content_drafts::Column::CreatedAt.lt(end));
            archived = archived.filter(content_drafts_archive::Column::CreatedAt.lt(end));
        }
        let db = table::db(ctx)?;
        let live = tally(db, live, content_drafts::Column::Status, content_drafts::Column::Platform).await?;
        let archived =
            tally(db, archived, content_drafts_archive::Column::Status, content_drafts_archive::Column::Platform)
                .await?;
        let by_status = add_counts(live.by_status.into_iter().chain(archived.by_status));
        let by_platform = add_counts(live.by_platform.into_iter().chain(archived.by_platform));
        let count = |statuses: &[&str]| {
            by_status
                .iter()
                .filter(|c| c.key.as_deref().is_some_and(|k| statuses.contains(&k)))
                .map(|c| c.count)
                .sum::<i64>()
        };
        let accepted = count(&["approved", "published"]);
        let reviewed = accepted + count(&["rejected"]);
        let confidence_sum = plus(live.confidence_sum, archived.confidence_sum);
        let average = mean(confidence_sum, live.confidence_count + archived.confidence_count, 4);
        Ok(DraftStats {
            acceptance_rate: (reviewed > 0).then(|| accepted as f64 / reviewed as f64),
            average_voice_confidence: average.map(|d| d.normalize()),
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
        Ok(select.into_model::<AnalyticsTotals>().all(table::db(ctx)?).await.map_err(AppError::from)?)
    }

    /// Performance of drafts recorded between `from` and `to` (inclusive), summed per platform,
    /// archived drafts included.
    ///
    /// Rows older than six months are replaced by summaries; they count in the month they were
    /// recorded in: a range includes a summarised month when the month's first day falls in it.
    /// So a range of whole months has the same totals before and after the rows are summarised,
    /// and neither summarising nor archiving changes any total of ranges that tile the past.
    /// Means are exact: summaries keep the sums and counts behind them.
    async fn performance_summary(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<Vec<PerformanceTotals>> {
        check_range(from, to)?;
        let db = table::db(ctx)?;
        let drafts = Alias::new("d");
        let detail = scoped::<content_performance::Entity>(ctx, user_id, content_performance::Column::UserId)?
            .filter(content_performance::Column::CreatedAt.gte(start_of(from)))
            .filter(content_performance::Column::CreatedAt.lt(to.succ_opt().and_then(start_of)))
            .join_as(JoinType::InnerJoin, content_performance::Relation::ContentDrafts.def(), drafts.clone())
            .select_only()
            .column_as(Expr::col((drafts.clone(), content_drafts::Column::Platform)), "platform")
            .column_as(Expr::cust("COUNT(*)"), "posts")
            .column_as(sum_int("impressions"), "impressions")
            .column_as(sum_int("likes"), "likes")
            .column_as(sum_int("shares"), "shares")
            .column_as(sum_int("comments"), "comments")
            .column_as(sum_int("clicks"), "clicks")
            .column_as(Expr::cust("ROUND(SUM(content_performance.engagement_rate), 4)"), "engagement_rate_sum")
            .column_as(Expr::cust("COUNT(content_performance.engagement_rate)"), "engagement_rate_count")
            .column_as(Expr::cust("ROUND(SUM(performance_score), 2)"), "performance_score_sum")
            .column_as(Expr::cust("COUNT(performance_score)"), "performance_score_count")
            .group_by(Expr::col((drafts, content_drafts::Column::Platform)))
            .into_model::<PerformanceParts>()
            .all(db)
            .await
            .map_err(AppError::from)?;

        // A summary's draft is live or archived; its platform is the draft's.
        use content_performance_summaries::{Column as S, Entity as Summaries};
        let platform = "COALESCE(d.platform, a.platform)";
        let summarised = scoped::<Summaries>(ctx, user_id, S::UserId)?
            .filter(S::Period.eq("month"))
            .filter(S::PeriodStart.between(from, to))
            .join_as(
                JoinType::LeftJoin,
                Summaries::belongs_to(content_drafts::Entity)
                    .from(S::ContentDraftId)
                    .to(content_drafts::Column::Id)
                    .into(),
                Alias::new("d"),
            )
            .join_as(
                JoinType::LeftJoin,
                Summaries::belongs_to(content_drafts_archive::Entity)
                    .from(S::ContentDraftId)
                    .to(content_drafts_archive::Column::Id)
                    .into(),
                Alias::new("a"),
            )
            .select_only()
            .column_as(Expr::cust(platform), "platform")
            .column_as(sum_int("content_performance_summaries.rows_aggregated"), "posts")
            .column_as(sum_int("content_performance_summaries.impressions"), "impressions")
            .column_as(sum_int("content_performance_summaries.likes"), "likes")
            .column_as(sum_int("content_performance_summaries.shares"), "shares")
            .column_as(sum_int("content_performance_summaries.comments"), "comments")
            .column_as(sum_int("content_performance_summaries.clicks"), "clicks")
            .column_as(
                Expr::cust("ROUND(SUM(content_performance_summaries.engagement_rate_sum), 4)"),
                "engagement_rate_sum",
            )
            .column_as(sum_int("content_performance_summaries.engagement_rate_count"), "engagement_rate_count")
            .column_as(
                Expr::cust("ROUND(SUM(content_performance_summaries.performance_score_sum), 2)"),
                "performance_score_sum",
            )
            .column_as(sum_int("content_performance_summaries.performance_score_count"), "performance_score_count")
            .group_by(Expr::cust(platform))
            .into_model::<PerformanceParts>()
            .all(db)
            .await
            .map_err(AppError::from)?;

        let mut platforms: BTreeMap<String, PerformanceParts> = BTreeMap::new();
        for parts in detail.into_iter().chain(summarised) {
            let Some(platform) = parts.platform.clone() else { continue };
            match platforms.get_mut(&platform) {
                Some(total) => total.add(&parts),
                None => {
                    platforms.insert(platform, parts);
                }
            }
        }
        Ok(platforms
            .into_iter()
            .map(|(platform, p)| PerformanceTotals {
                platform,
                posts: p.posts,
                impressions: p.impressions,
                likes: p.likes,
                shares: p.shares,
                comments: p.comments,
                clicks: p.clicks,
                average_engagement_rate: mean(p.engagement_rate_sum, p.engagement_rate_count, 4),
                average_performance_score: mean(p.performance_score_sum, p.performance_score_count, 2),
            })
            .collect())
    }
}
