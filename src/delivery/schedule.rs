//! When each creator's delivery is due: `delivery_time` in the profile's `timezone` on one of
//! `delivery_days`. A moment that a daylight-saving change skips (02:30 on a spring-forward
//! night) is the first instant after the gap; one that happens twice (fall-back) is the first
//! of the two. A missed moment (the server was down) is delivered late the same local day,
//! never for a day that has passed.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike as _, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use entity::enums::{DeliveryStatus, JobQueue};
use entity::table::check::WEEKDAYS;
use entity::{creator_profiles, daily_deliveries, delivery_preferences};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::error::AppResult;
use crate::events::{self, ChangeKind};
use crate::state::AppState;

const DEFAULT_DAYS: [&str; 5] = ["monday", "tuesday", "wednesday", "thursday", "friday"];

/// The instant `time` on `date` in `zone`.
pub fn moment(date: NaiveDate, time: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let local = date.and_time(time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        // In a gap: the first local minute after it that exists.
        LocalResult::None => (1..=24 * 60)
            .find_map(|minutes| zone.from_local_datetime(&(local + Duration::minutes(minutes))).earliest())
            .map_or_else(|| Utc.from_utc_datetime(&local), |at| at.with_timezone(&Utc)),
    }
}

/// A user's delivery settings as the schedule reads them.
pub struct Schedule {
    pub time: NaiveTime,
    pub zone: Tz,
    pub days: Vec<String>,
}

impl Schedule {
    pub fn of(preferences: &delivery_preferences::Model, timezone: Option<&str>) -> Self {
        let days = match preferences.delivery_days.as_ref().and_then(Json::as_array) {
            Some(days) => days.iter().filter_map(Json::as_str).map(str::to_owned).collect(),
            None => DEFAULT_DAYS.iter().map(|d| (*d).to_owned()).collect(),
        };
        Self {
            time: preferences.delivery_time.unwrap_or(NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default()),
            zone: timezone.and_then(|z| z.parse().ok()).unwrap_or(Tz::UTC),
            days,
        }
    }

    /// The local date whose delivery is due at `now`, if one is: today in the user's zone, when
    /// today is one of their days and its moment has come.
    pub fn due(&self, now: DateTime<Utc>) -> Option<NaiveDate> {
        let today = now.with_timezone(&self.zone).date_naive();
        let weekday = WEEKDAYS[today.weekday().num_days_from_monday() as usize];
        (self.days.iter().any(|d| d == weekday) && moment(today, self.time, self.zone) <= now).then_some(today)
    }
}

/// Makes the deliveries due at `now` (one row per user and local date, whichever instance gets
/// there first) and queues each one's sending in the same transaction. How many were made.
pub async fn tick(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let preferences = delivery_preferences::Entity::find().all(&state.db).await?;
    if preferences.is_empty() {
        return Ok(0);
    }
    let zones: HashMap<Uuid, Option<String>> = creator_profiles::Entity::find()
        .select_only()
        .column(creator_profiles::Column::UserId)
        .column(creator_profiles::Column::Timezone)
        .into_tuple::<(Uuid, Option<String>)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let due: Vec<(Uuid, NaiveDate)> = preferences
        .iter()
        .filter_map(|p| {
            let zone = zones.get(&p.user_id).and_then(|z| z.as_deref());
            Schedule::of(p, zone).due(now).map(|date| (p.user_id, date))
        })
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    // Rows made already (local dates are at most a day from UTC's).
    let since = now.date_naive() - Duration::days(2);
    let made: HashSet<(Uuid, NaiveDate)> = daily_deliveries::Entity::find()
        .select_only()
        .column(daily_deliveries::Column::UserId)
        .column(daily_deliveries::Column::DeliveryDate)
        .filter(daily_deliveries::Column::DeliveryDate.gte(since))
        .into_tuple::<(Uuid, NaiveDate)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let mut created = Vec::new();
    for (user, date) in due.into_iter().filter(|key| !made.contains(key)) {
        let id = Uuid::new_v4();
        let txn = crate::db::write_txn(&state.db).await?;
        let row = daily_deliveries::ActiveModel {
            id: Set(id),
            user_id: Set(user),
            delivery_date: Set(date),
            delivery_status: Set(Some(DeliveryStatus::Pending)),
            content_draft_ids: Set(Some(json!([]))),
            trend_insight_ids: Set(Some(json!([]))),
            created_at: Set(Some(now)),
            ..Default::default()
        };
        use daily_deliveries::Column;
        let inserted = daily_deliveries::Entity::insert(row)
            .on_conflict(OnConflict::columns([Column::UserId, Column::DeliveryDate]).do_nothing().to_owned())
            .exec_without_returning(&txn)
            .await?;
        if inserted == 1 {
            let attempts = state.config.job_max_attempts.max(1);
            crate::queue::enqueue(
                &txn,
                Uuid::new_v4(),
                JobQueue::Delivery,
                Some(user),
                json!({ "delivery": id }),
                attempts,
            )
            .await?;
            created.push(id);
        }
        let ids = if inserted == 1 { vec![id] } else { Vec::new() };
        events::outbox::commit_rows::<daily_deliveries::Entity>(txn, state.events.as_ref(), ChangeKind::Created, ids)
            .await?;
    }
    if !created.is_empty() {
        state.work_queued.notify_waiters();
    }
    Ok(created.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("time")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn an_ordinary_day_is_the_local_time() {
        assert_eq!(moment(date(2026, 7, 1), time(8, 0), chrono_tz::Europe::Berlin), utc("2026-07-01T06:00:00Z"));
        assert_eq!(moment(date(2026, 1, 5), time(8, 0), chrono_tz::America::New_York), utc("2026-01-05T13:00:00Z"));
    }

    #[test]
    fn a_time_skipped_by_spring_forward_is_the_first_instant_after_the_gap() {
        // Berlin: 02:00 → 03:00 on 29 March 2026.
        assert_eq!(moment(date(2026, 3, 29), time(2, 30), chrono_tz::Europe::Berlin), utc("2026-03-29T01:00:00Z"));
        // New York: 02:00 → 03:00 on 8 March 2026.
        assert_eq!(moment(date(2026, 3, 8), time(2, 30), chrono_tz::America::New_York), utc("2026-03-08T07:00:00Z"));
        // Lord Howe moves by half an hour: 02:00 → 02:30 on 4 October 2026.
        assert_eq!(
            moment(date(2026, 10, 4), time(2, 15), chrono_tz::Australia::Lord_Howe),
            utc("2026-10-03T15:30:00Z")
        );
    }

    #[test]
    fn a_time_repeated_by_fall_back_is_the_first_of_the_two() {
        // Berlin: 03:00 → 02:00 on 25 October 2026; 02:30 CEST is 00:30 UTC.
        assert_eq!(moment(date(2026, 10, 25), time(2, 30), chrono_tz::Europe::Berlin), utc("2026-10-25T00:30:00Z"));
        assert_eq!(moment(date(2026, 11, 1), time(1, 30), chrono_tz::America::New_York), utc("2026-11-01T05:30:00Z"));
    }

    #[test]
    fn due_only_on_the_users_days_after_the_moment_of_their_local_today() {
        let schedule = Schedule { time: time(8, 0), zone: chrono_tz::Asia::Tokyo, days: vec!["monday".into()] };
        // Monday 7 December 2026, 08:00 in Tokyo is 23:00 UTC on Sunday.
        assert_eq!(schedule.due(utc("2026-12-06T22:59:00Z")), None);
        assert_eq!(schedule.due(utc("2026-12-06T23:00:00Z")), Some(date(2026, 12, 7)));
        assert_eq!(schedule.due(utc("2026-12-07T14:59:00Z")), Some(date(2026, 12, 7)), "late the same local day");
        assert_eq!(schedule.due(utc("2026-12-07T15:00:00Z")), None, "Tuesday in Tokyo is not a delivery day");
    }
}
