//! Crawling sources into trend insights. A source is due when its `next_crawl_at` has passed
//! (null: never crawled). [`schedule`] claims each due source with a guarded update and queues
//! its crawl job in the same transaction, so one instance crawls it; the job ([`run`]) asks the
//! source's connector for new items, writes each as a trend insight of the source's owner (one
//! per item however often it is seen), has the AI provider analyse them when one is
//! configured, and records the outcome on the source with the next crawl time: the frequency
//! after a success, doubled per failure in a row (up to 32 times) after failures.
//!
//! Connectors: RSS and Atom feeds (`newsletter_rss`) and YouTube channel feeds
//! (`youtube_channel`, which YouTube publishes as Atom). Sources that need a platform's API and
//! credentials (`twitter_*`, `linkedin_profile`, `instagram_account`) have no connector in
//! this server: their crawl records `no_connector` and says so on the source.
use chrono::{DateTime, Duration, Utc};
use entity::enums::{CrawlStatus, JobQueue, JobStatus, ProcessingType, SourceType, TrendStatus};
use entity::{content_sources, jobs, trend_insights};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive as _;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::AppResult;
use crate::events::{self, ChangeKind};
use crate::fetch::{Fetched, Validators};
use crate::generation::provider::{self, Message};
use crate::queue::Outcome;
use crate::state::AppState;

/// Sources claimed per look.
const BATCH: u64 = 200;
/// Items taken from one crawl, newest first.
const MAX_ITEMS: usize = 50;
/// Items older than this are not trends any more.
const MAX_AGE_DAYS: i64 = 14;
/// How long a trend lives after its item was published.
const TREND_DAYS: i64 = 7;
/// Items per AI analysis call.
const ANALYSIS_BATCH: usize = 20;

/// One item a connector found.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What makes it the same item wherever it is seen: its link, else the feed's id for it.
    pub key: String,
    pub title: String,
    pub summary: String,
    pub link: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
}

/// What a connector answered.
pub enum Found {
    Items { items: Vec<Item>, validators: Validators },
    NotModified,
}

/// The feed a source is read from: its URL, else its identifier when that is a URL, else (for
/// a YouTube channel id) the channel's feed.
pub fn feed_url(source: &content_sources::Model) -> Option<String> {
    let identifier = source.source_identifier.trim();
    if let Some(url) = source.source_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        return Some(url.to_owned());
    }
    if identifier.starts_with("http://") || identifier.starts_with("https://") {
        return Some(identifier.to_owned());
    }
    (source.source_type == SourceType::YoutubeChannel && identifier.starts_with("UC"))
        .then(|| format!("https://www.youtube.com/feeds/videos.xml?channel_id={identifier}"))
}

/// Reads one kind of source. `Err` is the failure in words, shown on the source.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    async fn read(&self, state: &AppState, source: &content_sources::Model) -> Result<Found, String>;
}

/// RSS, Atom and JSON feeds over HTTP, conditional on what the server said last time.
struct Feeds;

#[async_trait::async_trait]
impl Connector for Feeds {
    async fn read(&self, state: &AppState, source: &content_sources::Model) -> Result<Found, String> {
        let url = feed_url(source).ok_or("the source has no feed URL (set sourceUrl)")?;
        let validators =
            Validators { etag: source.crawl_etag.clone(), last_modified: source.crawl_last_modified.clone() };
        match state.fetcher.get(&url, &validators).await.map_err(|e| e.to_string())? {
            Fetched::NotModified => Ok(Found::NotModified),
            Fetched::Body { bytes, validators } => Ok(Found::Items { items: parse_feed(&bytes)?, validators }),
        }
    }
}

/// The connector of a kind of source, if this server has one.
fn connector(kind: SourceType) -> Option<&'static dyn Connector> {
    match kind {
        SourceType::NewsletterRss | SourceType::YoutubeChannel => Some(&Feeds),
        SourceType::TwitterHandle
        | SourceType::TwitterHashtag
        | SourceType::LinkedinProfile
        | SourceType::InstagramAccount => None,
    }
}

/// The items of an RSS, Atom or JSON feed, newest first.
pub fn parse_feed(bytes: &[u8]) -> Result<Vec<Item>, String> {
    let feed = feed_rs::parser::parse(bytes).map_err(|_| "the answer is not an RSS or Atom feed".to_owned())?;
    let mut items: Vec<Item> = feed
        .entries
        .into_iter()
        .filter_map(|entry| {
            let link = entry.links.first().map(|l| l.href.trim().to_owned()).filter(|l| !l.is_empty());
            let media = entry.media.first();
            let title = entry
                .title
                .map(|t| t.content)
                .or_else(|| media.and_then(|m| m.title.clone()).map(|t| t.content))
                .map(|t| plain_text(&t))
                .filter(|t| !t.is_empty())?;
            let summary = entry
                .summary
                .map(|t| t.content)
                .or_else(|| entry.content.and_then(|c| c.body))
                .or_else(|| media.and_then(|m| m.description.clone()).map(|t| t.content))
                .map(|t| plain_text(&t))
                .unwrap_or_default();
            let categories =
                entry.categories.into_iter().map(|c| c.term.trim().to_lowercase()).filter(|c| !c.is_empty()).collect();
            Some(Item {
                key: link.clone().unwrap_or(entry.id),
                title: cut(&title, 200),
                summary: cut(&summary, 1000),
                link,
                published: entry.published.or(entry.updated),
                categories,
            })
        })
        .collect();
    items.sort_by_key(|item| std::cmp::Reverse(item.published));
    Ok(items)
}

/// Text without markup, entities decoded, whitespace collapsed.
fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let decoded = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", text[..at].trim_end()),
        None => text.to_owned(),
    }
}

/// Relevance from 0.01 to 1: the source's priority (1 to 10) for two fifths, the item's
/// recency (halving every 48 hours) for three fifths.
pub fn relevance(priority: Option<i32>, published: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    let priority = f64::from(priority.unwrap_or(5).clamp(1, 10)) / 10.0;
    (0.4 * priority + 0.6 * recency(published, now)).clamp(0.01, 1.0)
}

/// 1 for an item published now, halving every 48 hours; 0.5 when the date is unknown.
fn recency(published: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    match published {
        Some(at) => 0.5f64.powf(((now - at).num_minutes().max(0) as f64 / 60.0) / 48.0),
        None => 0.5,
    }
}

fn decimal(x: f64) -> Decimal {
    Decimal::from_f64(x).unwrap_or_default().round_dp(2)
}

/// A stable, bounded key for an item of a user's.
fn item_key(item: &Item) -> String {
    let digest = Sha256::digest(item.key.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn insight(source: &content_sources::Model, item: &Item, now: DateTime<Utc>) -> trend_insights::ActiveModel {
    let seen = item.published.unwrap_or(now).min(now);
    let fresh = recency(item.published, now);
    let category = item.categories.first().cloned().unwrap_or_else(|| match source.source_type {
        SourceType::YoutubeChannel => "video".to_owned(),
        _ => "article".to_owned(),
    });
    trend_insights::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(source.user_id),
        trend_topic: Set(item.title.clone()),
        trend_description: Set(if item.summary.is_empty() { item.title.clone() } else { item.summary.clone() }),
        confidence_score: Set(decimal(relevance(source.priority_level, item.published, now))),
        momentum_score: Set(Some(decimal(fresh * 100.0))),
        source_count: Set(1),
        peak_prediction: Set(None),
        relevant_keywords: Set(Some(json!(item.categories.iter().take(10).collect::<Vec<_>>()))),
        source_evidence: Set(Some(json!([{
            "sourceId": source.id,
            "sourceName": source.source_name,
            "url": item.link,
            "publishedAt": item.published,
        }]))),
        content_opportunities: Set(Some(json!([]))),
        trend_category: Set(Some(category)),
        geographic_data: Set(Some(json!({}))),
        status: Set(Some(TrendStatus::Active)),
        expires_at: Set(Some((seen + Duration::days(TREND_DAYS)).max(now + Duration::days(1)))),
        created_at: Set(Some(now)),
        updated_at: Set(Some(now)),
        source_item_key: Set(Some(item_key(item))),
    }
}

/// Claims the sources due at `now` and queues a crawl of each; how many were queued.
pub async fn schedule(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    use content_sources::Column;
    let due_filter = || Condition::any().add(Column::NextCrawlAt.is_null()).add(Column::NextCrawlAt.lte(now));
    let due: Vec<(Uuid, Uuid)> = content_sources::Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::UserId)
        .filter(Condition::any().add(Column::IsActive.is_null()).add(Column::IsActive.eq(true)))
        .filter(due_filter())
        .order_by_asc(Column::NextCrawlAt)
        .limit(BATCH)
        .into_tuple()
        .all(&state.db)
        .await?;
    // While its job is pending the source is not due: a job that never ends frees it again
    // once every attempt could have run.
    let config = &state.config;
    let attempts = i64::from(config.job_max_attempts.max(1));
    let hold = now + Duration::seconds(i64::try_from(config.job_timeout + config.job_lease).unwrap_or(600) * attempts);
    let mut queued = 0;
    for (id, user) in due {
        let txn = crate::db::write_txn(&state.db).await?;
        let claimed = content_sources::Entity::update_many()
            .col_expr(Column::NextCrawlAt, Expr::value(hold))
            .filter(Column::Id.eq(id))
            .filter(due_filter())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            let payload = json!({ "source": id });
            crate::queue::enqueue(&txn, Uuid::new_v4(), JobQueue::Crawl, Some(user), payload, config.job_max_attempts)
                .await?;
            queued += 1;
        }
        txn.commit().await?;
    }
    if queued > 0 {
        state.work_queued.notify_waiters();
    }
    Ok(queued)
}

/// One crawl job.
pub async fn run(state: &AppState, job: &jobs::Model) -> AppResult<Outcome> {
    let Some(id) = job.payload.get("source").and_then(Json::as_str).and_then(|s| s.parse::<Uuid>().ok()) else {
        return Ok(Outcome::Ended(JobStatus::Failed));
    };
    let Some(source) = content_sources::Entity::find_by_id(id).one(&state.db).await? else {
        // Deleted since: nothing to do.
        return Ok(Outcome::Completed);
    };
    let now = Utc::now();
    let crawled = crawl(state, &source, now).await?;
    record(state, &source, crawled, now).await?;
    Ok(Outcome::Completed)
}

/// How a crawl went.
#[derive(Debug, PartialEq)]
pub enum Crawled {
    New { items: i32, validators: Validators },
    NotModified,
    Failed(String),
    NoConnector,
}

async fn crawl(state: &AppState, source: &content_sources::Model, now: DateTime<Utc>) -> AppResult<Crawled> {
    let Some(connector) = connector(source.source_type) else { return Ok(Crawled::NoConnector) };
    let (items, validators) = match connector.read(state, source).await {
        Ok(Found::NotModified) => return Ok(Crawled::NotModified),
        Ok(Found::Items { items, validators }) => (items, validators),
        Err(message) => return Ok(Crawled::Failed(message)),
    };
    let oldest = now - Duration::days(MAX_AGE_DAYS);
    let rows: Vec<trend_insights::ActiveModel> = items
        .iter()
        .filter(|item| item.published.is_none_or(|at| at >= oldest))
        .take(MAX_ITEMS)
        .map(|item| insight(source, item, now))
        .collect();
    let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.id.clone().take()).collect();
    let txn = crate::db::write_txn(&state.db).await?;
    if !rows.is_empty() {
        use trend_insights::Column;
        trend_insights::Entity::insert_many(rows)
            .on_conflict(OnConflict::columns([Column::UserId, Column::SourceItemKey]).do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await?;
    }
    let mut created = trend_insights::Entity::find()
        .filter(trend_insights::Column::Id.is_in(ids))
        .order_by_desc(trend_insights::Column::ConfidenceScore)
        .all(&txn)
        .await?;
    let changes = events::changes::<trend_insights::Entity>(ChangeKind::Created, &created);
    events::outbox::commit(txn, state.events.as_ref(), changes).await?;
    if state.ai.is_some() && !created.is_empty() {
        analyse(state, source.user_id, &mut created).await?;
    }
    Ok(Crawled::New { items: i32::try_from(created.len()).unwrap_or(i32::MAX), validators })
}

/// Writes the outcome on the source, with the next crawl time.
async fn record(
    state: &AppState,
    source: &content_sources::Model,
    crawled: Crawled,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use content_sources::Column;
    let frequency = Duration::seconds(source.crawl_frequency.unwrap_or(3600).max(1));
    let mut update = content_sources::Entity::update_many().filter(Column::Id.eq(source.id));
    let (status, error, items, failures) = match crawled {
        Crawled::New { items, validators } => {
            update = update
                .col_expr(Column::CrawlEtag, Expr::value(validators.etag))
                .col_expr(Column::CrawlLastModified, Expr::value(validators.last_modified));
            (CrawlStatus::Ok, None, Some(items), 0)
        }
        Crawled::NotModified => (CrawlStatus::NotModified, None, Some(0), 0),
        Crawled::Failed(message) => (CrawlStatus::Failed, Some(message), None, source.crawl_failures.saturating_add(1)),
        Crawled::NoConnector => {
            let kind = serde_json::to_value(source.source_type).ok();
            let kind = kind.as_ref().and_then(Json::as_str).unwrap_or("these");
            (CrawlStatus::NoConnector, Some(format!("no connector configured for {kind} sources")), None, 0)
        }
    };
    let wait = frequency * 2i32.pow(u32::try_from(failures.clamp(0, 5)).unwrap_or(5));
    if let Some(error) = &error {
        tracing::info!(source = %source.id, error, "crawl did not read the source");
    }
    update
        .col_expr(Column::LastCrawledAt, Expr::value(now))
        .col_expr(Column::NextCrawlAt, Expr::value(now + wait))
        .col_expr(Column::LastCrawlStatus, Expr::value(status))
        .col_expr(Column::LastCrawlError, Expr::value(error))
        .col_expr(Column::LastCrawlItems, Expr::value(items))
        .col_expr(Column::CrawlFailures, Expr::value(failures))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Asks the AI provider for keywords, a category, content angles and a relevance of each new
/// trend; each call is logged. A failed or malformed answer leaves the trends as they were.
async fn analyse(state: &AppState, user: Uuid, rows: &mut [trend_insights::Model]) -> AppResult<()> {
    let Some(ai) = &state.ai else { return Ok(()) };
    for chunk in rows.chunks_mut(ANALYSIS_BATCH) {
        let listing: Vec<Json> = chunk
            .iter()
            .enumerate()
            .map(|(i, r)| json!({ "index": i, "title": r.trend_topic, "summary": r.trend_description }))
            .collect();
        let messages = vec![
            Message::system(
                "You analyse news items as social media trends for a creator. Answer with a JSON object \
                 {\"trends\": [{\"index\": number, \"keywords\": [string], \"category\": string, \
                 \"opportunities\": [string], \"relevance\": number between 0 and 1}]}, one per item.",
            ),
            Message::user(serde_json::to_string(&listing).unwrap_or_default()),
        ];
        let input = json!({ "model": ai.model(), "messages": serde_json::to_value(&messages).unwrap_or(Json::Null) });
        let answer = ai.complete(&messages).await;
        provider::record(&state.db, user, ProcessingType::TrendAnalysis, &input, &answer).await?;
        let Ok(completion) = answer else { continue };
        let Ok(parsed) = serde_json::from_str::<Json>(&completion.content) else { continue };
        let Some(trends) = parsed.get("trends").and_then(Json::as_array) else { continue };
        let txn = crate::db::write_txn(&state.db).await?;
        let mut analysed = Vec::new();
        for trend in trends {
            let Some(row) = trend.get("index").and_then(Json::as_u64).and_then(|i| chunk.get_mut(i as usize)) else {
                continue;
            };
            let strings = |key: &str, limit: usize| -> Option<Json> {
                let list: Vec<String> = trend
                    .get(key)?
                    .as_array()?
                    .iter()
                    .filter_map(Json::as_str)
                    .map(|s| cut(s.trim(), 200))
                    .filter(|s| !s.is_empty())
                    .take(limit)
                    .collect();
                (!list.is_empty()).then(|| json!(list))
            };
            let mut active: trend_insights::ActiveModel =
                trend_insights::ActiveModel { id: Set(row.id), ..Default::default() };
            if let Some(keywords) = strings("keywords", 10) {
                active.relevant_keywords = Set(Some(keywords));
            }
            if let Some(opportunities) = strings("opportunities", 5) {
                active.content_opportunities = Set(Some(opportunities));
            }
            if let Some(category) =
                trend.get("category").and_then(Json::as_str).map(str::trim).filter(|c| !c.is_empty())
            {
                active.trend_category = Set(Some(cut(category, 100)));
            }
            if let Some(score) = trend.get("relevance").and_then(Json::as_f64).filter(|s| (0.0..=1.0).contains(s)) {
                // The provider's judgement and the source's priority and recency count alike.
                let ours: f64 = row.confidence_score.try_into().unwrap_or(0.5);
                active.confidence_score = Set(decimal(((ours + score) / 2.0).clamp(0.01, 1.0)));
            }
            *row = trend_insights::Entity::update(active).exec(&txn).await?;
            analysed.push(row.clone());
        }
        let changes = events::changes::<trend_insights::Entity>(ChangeKind::Updated, &analysed);
        events::outbox::commit(txn, state.events.as_ref(), changes).await?;
    }
    Ok(())
}

/// Trends age as a job: an active trend whose item is over three days old with no draft
/// written from it in three days is `declining`; a trend past `expires_at` is `expired`.
/// Returns how many changed.
pub async fn age_trends(
    db: &sea_orm::DatabaseConnection,
    events: &dyn crate::events::EventBus,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    use entity::content_drafts;
    use trend_insights::Column;
    let quiet_since = now - Duration::days(3);
    let recent_drafts = sea_orm::sea_query::Query::select()
        .column(content_drafts::Column::TrendSourceId)
        .from(content_drafts::Entity)
        .and_where(content_drafts::Column::TrendSourceId.is_not_null())
        .and_where(content_drafts::Column::CreatedAt.gte(quiet_since))
        .to_owned();
    let expiring = trend_insights::Entity::find()
        .filter(Column::Status.is_in([TrendStatus::Active, TrendStatus::Declining]))
        .filter(Column::ExpiresAt.lt(now))
        .all(db)
        .await?;
    let declining = trend_insights::Entity::find()
        .filter(Column::Status.eq(TrendStatus::Active))
        .filter(Condition::any().add(Column::ExpiresAt.is_null()).add(Column::ExpiresAt.gte(now)))
        .filter(Column::CreatedAt.lt(quiet_since))
        .filter(Column::Id.not_in_subquery(recent_drafts))
        .all(db)
        .await?;
    let mut changed = 0;
    for (rows, status) in [(expiring, TrendStatus::Expired), (declining, TrendStatus::Declining)] {
        if rows.is_empty() {
            continue;
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let txn = crate::db::write_txn(db).await?;
        let done = trend_insights::Entity::update_many()
            .col_expr(Column::Status, Expr::value(status))
            .filter(Column::Id.is_in(ids.clone()))
            .exec(&txn)
            .await?;
        changed += done.rows_affected;
        events::outbox::commit_rows::<trend_insights::Entity>(txn, events, ChangeKind::Updated, ids).await?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_stripped_and_text_cut() {
        assert_eq!(plain_text("<p>Rust&nbsp;2026 &amp; <b>you</b></p>"), "Rust 2026 & you");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("abc", 3), "abc");
    }

    #[test]
    fn relevance_follows_priority_and_recency() {
        let now = Utc::now();
        let fresh = relevance(Some(10), Some(now), now);
        let old = relevance(Some(10), Some(now - Duration::days(4)), now);
        let low = relevance(Some(1), Some(now), now);
        assert!((fresh - 1.0).abs() < 1e-9);
        assert!(old < fresh && low < fresh);
        assert!((relevance(Some(5), Some(now - Duration::hours(48)), now) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn youtube_channel_ids_become_their_feed() {
        let mut source = content_sources::Model {
            id: Uuid::nil(),
            user_id: Uuid::nil(),
            source_type: SourceType::YoutubeChannel,
            source_identifier: "UC_x5XG1OV2P6uZZ5FSM9Ttw".into(),
            source_name: "c".into(),
            source_url: None,
            priority_level: None,
            is_active: None,
            last_crawled_at: None,
            crawl_frequency: None,
            source_metadata: None,
            created_at: None,
            updated_at: None,
            next_crawl_at: None,
            last_crawl_status: None,
            last_crawl_error: None,
            last_crawl_items: None,
            crawl_failures: 0,
            crawl_etag: None,
            crawl_last_modified: None,
        };
        assert_eq!(
            feed_url(&source).as_deref(),
            Some("https://www.youtube.com/feeds/videos.xml?channel_id=UC_x5XG1OV2P6uZZ5FSM9Ttw")
        );
        source.source_url = Some("http://127.0.0.1:1/feed".into());
        assert_eq!(feed_url(&source).as_deref(), Some("http://127.0.0.1:1/feed"));
    }
}
