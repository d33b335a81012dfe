//! The fixed value lists of the schema's CHECK constraints, one Rust enum each: the entities
//! store them (as text, the values the CHECKs allow), the GraphQL schema shows them as enums,
//! and a value outside the list cannot be expressed.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::table::{EqFilter, Filterable};

/// A social platform a creator publishes on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Twitter,
    Linkedin,
    Instagram,
}

impl Filterable for Platform {
    type Filter = EqFilter<Self>;
}

/// The platform an analytics snapshot covers, or all of them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AnalyticsPlatform {
    Twitter,
    Linkedin,
    Instagram,
    Overall,
}

impl Filterable for AnalyticsPlatform {
    type Filter = EqFilter<Self>;
}

/// The format of a draft.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    SingleTweet,
    Thread,
    QuoteTweet,
    LinkedinShort,
    LinkedinLong,
    LinkedinCarousel,
    InstagramReel,
    InstagramCarousel,
}

impl Filterable for ContentType {
    type Filter = EqFilter<Self>;
}

/// Where a draft is in its review.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    Pending,
    Approved,
    Rejected,
    Published,
    Archived,
}

impl Filterable for DraftStatus {
    type Filter = EqFilter<Self>;
}

/// The kind of source trends are watched on.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    TwitterHandle,
    TwitterHashtag,
    LinkedinProfile,
    YoutubeChannel,
    NewsletterRss,
    InstagramAccount,
}

impl Filterable for SourceType {
    type Filter = EqFilter<Self>;
}

/// How current a trend is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TrendStatus {
    Active,
    Declining,
    Expired,
}

impl Filterable for TrendStatus {
    type Filter = EqFilter<Self>;
}

/// Where the training of a creator's voice stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TrainingStatus {
    Pending,
    Training,
    Completed,
    Failed,
}

impl Filterable for TrainingStatus {
    type Filter = EqFilter<Self>;
}

/// A subscription plan.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Free,
    Creator,
    Agency,
    Enterprise,
}

impl Filterable for Tier {
    type Filter = EqFilter<Self>;
}

/// Where a daily delivery stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    Skipped,
}

impl Filterable for DeliveryStatus {
    type Filter = EqFilter<Self>;
}

/// How a delivery reaches the creator.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum DeliveryChannel {
    Email,
    Whatsapp,
    Push,
}

impl Filterable for DeliveryChannel {
    type Filter = EqFilter<Self>;
}

/// The state of a subscription's payments.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum BillingStatus {
    Active,
    PastDue,
    Canceled,
    Unpaid,
    Trialing,
}

impl Filterable for BillingStatus {
    type Filter = EqFilter<Self>;
}

/// An action that costs credits.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    DraftGenerated,
    DraftAccepted,
    DraftRejected,
    TrendAnalyzed,
    VoiceTraining,
}

impl Filterable for ActionType {
    type Filter = EqFilter<Self>;
}

/// What an AI processing run did.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ProcessingType {
    ContentGeneration,
    TrendAnalysis,
    VoiceTraining,
    PerformancePrediction,
}

impl Filterable for ProcessingType {
    type Filter = EqFilter<Self>;
}

/// How an AI processing run ended.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ProcessingStatus {
    Pending,
    Completed,
    Failed,
    Timeout,
}

impl Filterable for ProcessingStatus {
    type Filter = EqFilter<Self>;
}

/// Where an agency's relationship with a client stands: delegation holds only once the client accepted.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Invited,
    Accepted,
    Revoked,
}

impl Filterable for InvitationStatus {
    type Filter = EqFilter<Self>;
}

/// Why a credit ledger entry was written.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TransactionType {
    Usage,
    Overage,
    Grant,
    TopUp,
    MonthlyReset,
}

impl Filterable for TransactionType {
    type Filter = EqFilter<Self>;
}

/// The credit balance a ledger entry moved.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CreditBucket {
    Allowance,
    Purchased,
}

impl Filterable for CreditBucket {
    type Filter = EqFilter<Self>;
}

/// The period a performance summary covers.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SummaryPeriod {
    Week,
    Month,
}

impl Filterable for SummaryPeriod {
    type Filter = EqFilter<Self>;
}

/// What a user may do beyond their own rows: `admin` runs the service (reads every user's rows,
/// grants credits, changes roles, revokes sessions, reads the audit log), `support` reads what
/// an admin reads and changes nothing, `member` is everyone else.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Support,
    Member,
}

impl Filterable for Role {
    type Filter = EqFilter<Self>;
}

/// Who made an audited change.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A user on their own account.
    User,
    /// An admin, on anyone's.
    Admin,
    /// A support user.
    Support,
    /// The service role (machines).
    Service,
    /// A scheduled job.
    System,
    /// Nobody signed in (a failed sign-in).
    Anonymous,
}

impl Filterable for ActorKind {
    type Filter = EqFilter<Self>;
}

/// Where a delivery of a payment provider's webhook stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum WebhookStatus {
    /// Stored, not yet processed.
    Received,
    /// Claimed by an instance.
    Processing,
    /// Applied, once.
    Processed,
    /// Processing failed; a later delivery or an admin's retry claims it again.
    Failed,
    /// A type this server does not act on.
    Ignored,
}

impl Filterable for WebhookStatus {
    type Filter = EqFilter<Self>;
}

/// What happened to a subscription.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionEventKind {
    Created,
    Renewed,
    Upgraded,
    Downgraded,
    Canceled,
    Expired,
    PaymentFailed,
    Reactivated,
}

impl Filterable for SubscriptionEventKind {
    type Filter = EqFilter<Self>;
}

/// How severe a client's report is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
    /// A user's feedback.
    Feedback,
}

impl Filterable for LogLevel {
    type Filter = EqFilter<Self>;
}

/// The format of an uploaded avatar, as its bytes show it (never its name or declared type);
/// stored as its media type.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum AvatarContentType {
    /// `image/jpeg`
    #[sea_orm(string_value = "image/jpeg")]
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// `image/png`
    #[sea_orm(string_value = "image/png")]
    #[serde(rename = "image/png")]
    Png,
    /// `image/webp`
    #[sea_orm(string_value = "image/webp")]
    #[serde(rename = "image/webp")]
    Webp,
    /// `image/gif`
    #[sea_orm(string_value = "image/gif")]
    #[serde(rename = "image/gif")]
    Gif,
}

impl AvatarContentType {
    /// The media type, as sent in `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    /// The format `bytes` are in, judged by their magic bytes alone; `None` for anything but
    /// the four formats (a script named `.png` included).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0xFF, 0xD8, 0xFF, ..] => Some(Self::Jpeg),
            [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n', ..] => Some(Self::Png),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Self::Webp),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Self::Gif),
            _ => None,
        }
    }
}

impl Filterable for AvatarContentType {
    type Filter = EqFilter<Self>;
}

/// Where a queued job stands: `queued` (waiting, or waiting to be retried), `running` (claimed
/// by a worker under a lease), then `completed`, `failed` (for good), `timeout`, `cancelled`, or
/// `dead` (every attempt failed or its workers kept dying).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Timeout,
    Cancelled,
    Dead,
}

/// The kinds of queued work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum JobQueue {
    Generation,
    VoiceTraining,
    Crawl,
    Delivery,
    /// The scheduled retention and allowance jobs of one `JOBS_INTERVAL` slot.
    Maintenance,
}

/// Where a request for drafts stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum GenerationStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Timeout,
    Cancelled,
}

impl GenerationStatus {
    /// Whether nothing more will happen to it.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

impl Filterable for GenerationStatus {
    type Filter = EqFilter<Self>;
}

/// Credits held for work in progress: `held` until `settled` (what was used is debited) or
/// `released` (nothing is).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Held,
    Settled,
    Released,
}

/// How a source's last crawl went: `ok` (the feed was read), `not_modified` (the server said
/// nothing changed), `failed` (see `lastCrawlError`; the next crawl backs off) or `no_connector`
/// (no connector for this kind of source is configured on the server).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CrawlStatus {
    Ok,
    NotModified,
    Failed,
    NoConnector,
}

impl Filterable for CrawlStatus {
    type Filter = EqFilter<Self>;
}
