//! The shared state: the database, settings, token keys, the at-rest cipher, the event bus and
//! the directories kept from it. Built once at start; every transport, resolver and job reads it.
//! Nothing here imports upward: transports and resolvers depend on it, not the reverse.
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::Viewer;
use crate::auth::agencies::Agencies;
use crate::auth::jwt::JwtKeys;
use crate::auth::liveness::Liveness;
use crate::auth::presence::Presence;
use crate::auth::session::Auth;
use crate::avatars::Avatars;
use crate::config::Config;
use crate::crypto::Cipher;
use crate::error::AppResult;
use crate::events::Bus;
use crate::limits::Limits;

/// The open live connections: tracked so that shutdown can close them and wait for them.
#[derive(Clone, Default)]
pub struct Sockets {
    pub tasks: TaskTracker,
    pub shutdown: CancellationToken,
}

/// What every request handler and resolver may reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// What the data layer reads through (on PostgreSQL, connections of its own).
    pub reads: crate::db::Reader,
    /// One-row writes with their events, combined when several wait (PostgreSQL).
    pub writes: crate::events::writes::Writes,
    pub config: Arc<Config>,
    pub auth: Arc<Auth>,
    pub cipher: Arc<Cipher>,
    /// Live events: published after each committed change, read by subscriptions.
    pub events: Bus,
    /// Live connections and subscriptions per user.
    pub presence: Arc<Presence>,
    /// The users who may act for clients, so the policy can skip the lookup for everyone else.
    pub agencies: Arc<Agencies>,
    /// Open WebSocket connections, closed on shutdown.
    pub sockets: Sockets,
    /// Rate limits.
    pub limits: Arc<Limits>,
    /// Uploaded avatars and their signed URLs.
    pub avatars: Arc<Avatars>,
    /// Signs the links that act without a token.
    pub links: Arc<crate::crypto::LinkSigner>,
    /// Delivery emails, when `SMTP_URL` is set.
    pub mailer: Option<Arc<crate::outbound::Mailer>>,
    /// Push and WhatsApp deliveries, when `DELIVERY_WEBHOOK_URL` is set.
    pub webhook: Option<Arc<crate::outbound::Webhook>>,
    /// The AI provider, when one is configured.
    pub ai: Option<Arc<dyn crate::generation::provider::Provider>>,
    /// Fetches other servers' feeds, politely.
    pub fetcher: Arc<crate::fetch::Fetcher>,
    /// Wakes this instance's idle workers when it queues a job.
    pub work_queued: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// State from settings: token keys and the at-rest cipher are checked here, and the event
    /// bus is connected (on PostgreSQL it is listening when this returns).
    pub async fn new(db: DatabaseConnection, config: Config) -> Result<Self, String> {
        let secret = match &config.jwt_secret {
            Some(secret) => secret.expose().as_bytes().to_vec(),
            None => {
                tracing::warn!("JWT_SECRET is not set: using a random secret; tokens end with this process");
                let mut bytes = vec![0u8; 48];
                rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
                bytes
            }
        };
        let keys = JwtKeys::new(&secret, config.jwt_public_key.as_ref().map(|k| k.expose()))?
            .with_external_issuers(&config.jwt_external_issuers);
        let avatars = Arc::new(Avatars::from_config(&config, &secret)?);
        let links = Arc::new(crate::crypto::LinkSigner::new(&secret)?);
        let mailer = crate::outbound::Mailer::from_config(&config)?.map(Arc::new);
        let webhook = crate::outbound::Webhook::from_config(&config)?.map(Arc::new);
        if config.encryption_keys.is_none() {
            tracing::warn!("ENCRYPTION_KEYS is not set: platform tokens are sealed with a key of this process only");
        }
        let cipher = Cipher::from_config(config.encryption_keys.as_ref().map(|k| k.expose()))?;
        crate::telemetry::metrics::keep_up(std::time::Duration::from_secs(10));
        let events = crate::events::connect(&db, &config).await?;
        let liveness = Arc::new(Liveness::default());
        liveness.follow(&events);
        let auth = Auth {
            keys,
            access_ttl_secs: config.access_token_ttl as i64,
            refresh_ttl_secs: config.refresh_token_ttl as i64,
            liveness,
        };
        let presence =
            Arc::new(Presence::new(config.ws_max_connections_per_user, config.ws_max_subscriptions_per_user));
        let agencies = Agencies::start(db.clone(), &events).await;
        let limits = Arc::new(Limits::new(db.clone(), &config));
        let ai = match &config.ai_base_url {
            Some(url) => {
                let key = config.ai_api_key.as_ref().map(|k| k.expose().to_owned());
                let timeout = std::time::Duration::from_secs(config.ai_timeout.max(1));
                let provider =
                    crate::generation::provider::OpenAiCompatible::new(url, key, config.ai_model.clone(), timeout)?;
                Some(Arc::new(provider) as Arc<dyn crate::generation::provider::Provider>)
            }
            None => None,
        };
        let fetcher = Arc::new(crate::fetch::Fetcher::from_config(&config)?);
        let reads = crate::db::Reader::new(&db, config.db_max_connections, config.connect_timeout())
            .await
            .map_err(|err| format!("cannot prepare the reads' connections: {err}"))?;
        let writes = crate::events::writes::Writes::start(reads.once(), config.db_writers);
        Ok(Self {
            writes,
            reads,
            ai,
            fetcher,
            work_queued: Arc::default(),
            avatars,
            links,
            mailer,
            webhook,
            limits,
            db,
            config: Arc::new(config),
            auth: Arc::new(auth),
            cipher: Arc::new(cipher),
            events,
            presence,
            agencies,
            sockets: Sockets::default(),
        })
    }
}

impl AppState {
    /// The caller presenting `token` (none: anonymous), with the expiry of its token. Both
    /// transports ask here, so a token is checked the same way over HTTP and WebSocket: its
    /// signature and expiry, then its session (a signed-out or revoked session is refused, never
    /// downgraded to anonymous) and the user's role. Whether the user may act for clients is
    /// left `true` (always correct): a connection outlives what is known of agencies when it
    /// opens, so only a single request ([`AppState::for_request`]) narrows it.
    pub async fn authenticate(&self, token: Option<&str>) -> AppResult<(Viewer, Option<i64>)> {
        self.auth.caller(&self.db, token).await
    }

    /// `viewer` for one request: a user known to be no agency skips the policy's lookup of
    /// delegating clients.
    pub fn for_request(&self, mut viewer: Viewer) -> Viewer {
        if let Viewer::User { id, may_act_for_clients, .. } = &mut viewer {
            *may_act_for_clients = self.agencies.may_act_for_clients(*id);
        }
        viewer
    }
}
