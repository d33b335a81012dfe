//! The linguistic features of a creator's writing, computed here from the text alone: length,
//! sentence length, hashtags, mentions, emoji, questions, reading level and frequent phrases.
//! [`train`] turns samples into a voice profile: samples are ranked (by their engagement where
//! it was recorded, otherwise by how typical they are), one in five is held out, the profile is
//! built from the rest and its `validation_score` is how close the held-out samples come to it.
use std::collections::{BTreeMap, HashMap};

use serde_json::{Value as Json, json};
use uuid::Uuid;

/// Fewest samples a voice is trained from: two to learn from, one to validate on.
pub const MIN_SAMPLES: usize = 3;
/// Examples kept on a model for prompts.
const EXAMPLES: usize = 3;
/// Phrases kept on a profile.
const PHRASES: usize = 8;

/// A training sample as stored in `voice_training_data`.
pub struct Sample {
    pub id: Uuid,
    pub text: String,
    pub engagement: Option<Json>,
}

/// The features of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    pub characters: usize,
    pub words: usize,
    pub sentences: usize,
    pub avg_sentence_words: f64,
    pub hashtags: Vec<String>,
    pub mentions: usize,
    pub emoji: usize,
    pub questions: usize,
    pub exclamations: usize,
    pub links: usize,
    /// Flesch–Kincaid grade level.
    pub reading_grade: f64,
    /// Word pairs and triples said more than once in the text.
    pub phrases: Vec<String>,
    /// The plain words measured, for phrases across samples.
    words_seen: Vec<String>,
}

fn is_emoji(c: char) -> bool {
    matches!(u32::from(c),
        0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x1F000..=0x1F2FF | 0x2B00..=0x2BFF)
}

/// Syllables of a word by vowel groups, at least one; a silent final `e` is not counted.
fn syllables(word: &str) -> usize {
    let lower: Vec<char> = word.to_lowercase().chars().filter(|c| c.is_alphabetic()).collect();
    let vowel = |c: char| "aeiouy".contains(c);
    let mut groups = 0;
    let mut previous = false;
    for &c in &lower {
        let v = vowel(c);
        if v && !previous {
            groups += 1;
        }
        previous = v;
    }
    if lower.len() > 2 && lower.ends_with(&['e']) && !lower.ends_with(&['l', 'e']) && groups > 1 {
        groups -= 1;
    }
    groups.max(1)
}

/// The plain words of a text: no hashtags, mentions or links, lower case, letters and apostrophes.
fn plain_words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|t| is_plain(t))
        .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .collect()
}

/// A token that is a plain word: not a hashtag, mention or link, with a letter.
fn is_plain(token: &str) -> bool {
    !token.starts_with('#')
        && !token.starts_with('@')
        && !token.contains("://")
        && token.chars().any(char::is_alphabetic)
}

/// Sentences with at least one plain word: ended by `.`, `!` or `?` closing a word (not inside
/// a link or a number) or by a line break.
fn sentences(text: &str) -> usize {
    let mut count = 0;
    for line in text.lines() {
        let mut open = false;
        for token in line.split_whitespace() {
            open |= is_plain(token);
            let end = token.trim_end_matches(['"', '\'', ')', '\u{201d}']);
            if open && !token.contains("://") && end.ends_with(['.', '!', '?']) {
                count += 1;
                open = false;
            }
        }
        count += usize::from(open);
    }
    count
}

/// Word pairs and triples of `words` with how often each occurs.
fn ngrams(words: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for n in [2, 3] {
        for window in words.windows(n) {
            *counts.entry(window.join(" ")).or_insert(0) += 1;
        }
    }
    counts
}

/// The `limit` most frequent entries seen at least `min` times, most frequent first, then by text.
fn top(counts: HashMap<String, usize>, min: usize, limit: usize) -> Vec<String> {
    let mut entries: Vec<(String, usize)> = counts.into_iter().filter(|(_, n)| *n >= min).collect();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.len().cmp(&a.0.len())).then_with(|| a.0.cmp(&b.0)));
    entries.into_iter().take(limit).map(|(text, _)| text).collect()
}

impl Features {
    pub fn of(text: &str) -> Self {
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let hashtags: Vec<String> = tokens
            .iter()
            .filter_map(|t| t.strip_prefix('#'))
            .map(|t| t.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_').to_lowercase())
            .filter(|t| !t.is_empty())
            .map(|t| format!("#{t}"))
            .collect();
        let mentions = tokens.iter().filter(|t| t.len() > 1 && t.starts_with('@')).count();
        let links = tokens.iter().filter(|t| t.contains("://")).count();
        let words = plain_words(text);
        let sentences = sentences(text);
        let avg_sentence_words = if sentences == 0 { 0.0 } else { words.len() as f64 / sentences as f64 };
        let syllable_count: usize = words.iter().map(|w| syllables(w)).sum();
        let reading_grade = if words.is_empty() {
            0.0
        } else {
            (0.39 * avg_sentence_words + 11.8 * (syllable_count as f64 / words.len() as f64) - 15.59).max(0.0)
        };
        Self {
            characters: text.chars().count(),
            words: words.len(),
            sentences,
            avg_sentence_words,
            hashtags,
            mentions,
            emoji: text.chars().filter(|c| is_emoji(*c)).count(),
            questions: text.matches('?').count(),
            exclamations: text.matches('!').count(),
            links,
            reading_grade,
            phrases: top(ngrams(&words), 2, PHRASES),
            words_seen: words,
        }
    }

    /// As stored in `voice_training_data.content_features`.
    pub fn to_json(&self) -> Json {
        json!({
            "length": self.characters,
            "words": self.words,
            "sentences": self.sentences,
            "avgSentenceLength": round(self.avg_sentence_words),
            "hashtags": self.hashtags,
            "hashtagCount": self.hashtags.len(),
            "mentions": self.mentions,
            "emoji": self.emoji,
            "questions": self.questions,
            "exclamations": self.exclamations,
            "links": self.links,
            "readingLevel": round(self.reading_grade),
            "frequentPhrases": self.phrases,
        })
    }

    /// The measures a profile averages, by name.
    fn measures(&self) -> [(&'static str, f64); 8] {
        [
            ("length", self.characters as f64),
            ("avgSentenceLength", self.avg_sentence_words),
            ("hashtags", self.hashtags.len() as f64),
            ("mentions", self.mentions as f64),
            ("emoji", self.emoji as f64),
            ("questions", self.questions as f64),
            ("exclamations", self.exclamations as f64),
            ("readingLevel", self.reading_grade),
        ]
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The smallest difference that counts as unlike, per measure: two posts of 10 and 20
/// characters are both short; one hashtag and none differ.
fn scale(measure: &str) -> f64 {
    match measure {
        "length" => 80.0,
        "avgSentenceLength" => 6.0,
        "readingLevel" => 4.0,
        _ => 1.0,
    }
}

/// How close a text's features come to a profile's averages, from 0 (unlike) to 1 (the same).
pub fn similarity(features: &Features, profile: &Json) -> f64 {
    let measures = features.measures();
    let mut total = 0.0;
    for (name, value) in measures {
        let mean = profile.get("averages").and_then(|a| a.get(name)).and_then(Json::as_f64).unwrap_or(0.0);
        let spread = value.abs().max(mean.abs()).max(scale(name));
        total += 1.0 - ((value - mean).abs() / spread).min(1.0);
    }
    total / measures.len() as f64
}

/// A voice profile from the features of its samples.
fn profile_of(features: &[&Features]) -> Json {
    let count = features.len().max(1) as f64;
    let mut averages = BTreeMap::new();
    for f in features {
        for (name, value) in f.measures() {
            *averages.entry(name).or_insert(0.0) += value / count;
        }
    }
    let averages: BTreeMap<&str, f64> = averages.into_iter().map(|(k, v)| (k, round(v))).collect();
    let mut tags = HashMap::new();
    let mut phrases = HashMap::new();
    for f in features {
        for tag in &f.hashtags {
            *tags.entry(tag.clone()).or_insert(0) += 1;
        }
        // A phrase counts once per sample: frequent means used across posts.
        let mut seen: Vec<String> = ngrams(&f.words_seen).into_keys().collect();
        seen.sort();
        seen.dedup();
        for phrase in seen {
            *phrases.entry(phrase).or_insert(0) += 1;
        }
    }
    let share = |pred: &dyn Fn(&Features) -> bool| round(features.iter().filter(|f| pred(f)).count() as f64 / count);
    json!({
        "samples": features.len(),
        "averages": averages,
        "questionShare": share(&|f| f.questions > 0),
        "emojiShare": share(&|f| f.emoji > 0),
        "hashtagShare": share(&|f| !f.hashtags.is_empty()),
        "topHashtags": top(tags, 1, 5),
        "frequentPhrases": top(phrases, 2, PHRASES),
    })
}

/// What training made of the samples.
pub struct Trained {
    /// Each sample's features.
    pub features: Vec<(Uuid, Features)>,
    /// Each sample's rank, 1 the best.
    pub ranks: Vec<(Uuid, i32)>,
    /// The best samples' texts, best first.
    pub examples: Vec<String>,
    pub profile: Json,
    /// Mean similarity of the held-out samples to the profile, 0 to 1.
    pub validation_score: f64,
    /// Samples the profile was built from.
    pub training_count: usize,
    /// Samples kept out of the profile to validate it.
    pub held_out: usize,
}

#[derive(Debug, PartialEq)]
pub enum TrainError {
    TooFewSamples { found: usize },
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooFewSamples { found } => {
                write!(f, "a voice needs at least {MIN_SAMPLES} training samples with text; found {found}")
            }
        }
    }
}

/// A sample's recorded engagement: the sum of the numbers in its metrics (likes, comments,
/// shares, ...); `None` when nothing was recorded.
fn engagement(sample: &Sample) -> Option<f64> {
    let metrics = sample.engagement.as_ref()?.as_object()?;
    let numbers: Vec<f64> = metrics.values().filter_map(Json::as_f64).collect();
    (!numbers.is_empty()).then(|| numbers.iter().sum())
}

pub fn train(samples: &[Sample]) -> Result<Trained, TrainError> {
    let usable: Vec<&Sample> = samples.iter().filter(|s| s.text.chars().any(char::is_alphanumeric)).collect();
    if usable.len() < MIN_SAMPLES {
        return Err(TrainError::TooFewSamples { found: usable.len() });
    }
    let features: Vec<(Uuid, Features)> = usable.iter().map(|s| (s.id, Features::of(&s.text))).collect();
    // One in five held out (at least one), spread over the samples in their stored order.
    let held_out = (usable.len() / 5).max(1);
    let step = usable.len() / held_out;
    let is_held = |i: usize| i % step == step - 1 && i / step < held_out;
    let (held, training): (Vec<_>, Vec<_>) = features.iter().enumerate().partition(|(i, _)| is_held(*i));
    let training: Vec<&Features> = training.into_iter().map(|(_, (_, f))| f).collect();
    let profile = profile_of(&training);
    let validation_score = held.iter().map(|(_, (_, f))| similarity(f, &profile)).sum::<f64>() / held.len() as f64;
    let training_count = training.len();
    let whole = profile_of(&features.iter().map(|(_, f)| f).collect::<Vec<_>>());
    // Ranked by engagement where recorded (samples without it after those with it), then by
    // how typical of the whole set each sample is.
    let mut order: Vec<(usize, Option<f64>, f64)> =
        features.iter().enumerate().map(|(i, (_, f))| (i, engagement(usable[i]), similarity(f, &whole))).collect();
    order.sort_by(|a, b| {
        let by_engagement = match (a.1, b.1) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_engagement.then_with(|| b.2.total_cmp(&a.2)).then_with(|| a.0.cmp(&b.0))
    });
    let ranks = order
        .iter()
        .enumerate()
        .map(|(rank, (i, _, _))| (features[*i].0, i32::try_from(rank + 1).unwrap_or(i32::MAX)))
        .collect();
    let examples = order.iter().take(EXAMPLES).map(|(i, _, _)| usable[*i].text.clone()).collect();
    Ok(Trained { features, ranks, examples, profile, validation_score, training_count, held_out })
}

/// The voice profile as plain lines for an AI prompt.
pub fn prompt_profile(profile: &Json) -> String {
    let average = |name: &str| profile.get("averages").and_then(|a| a.get(name)).and_then(Json::as_f64);
    let share = |name: &str| profile.get(name).and_then(Json::as_f64).unwrap_or(0.0);
    let list = |name: &str| -> Vec<String> {
        profile
            .get(name)
            .and_then(Json::as_array)
            .map(|items| items.iter().filter_map(Json::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut lines = Vec::new();
    if let Some(length) = average("length") {
        lines.push(format!("- Posts run about {length:.0} characters."));
    }
    if let Some(words) = average("avgSentenceLength") {
        lines.push(format!("- Sentences average {words:.0} words."));
    }
    if let Some(grade) = average("readingLevel") {
        lines.push(format!("- Reading level around grade {grade:.0}."));
    }
    let percent = |x: f64| (x * 100.0).round();
    lines.push(format!("- {}% of posts ask a question.", percent(share("questionShare"))));
    lines.push(format!("- {}% of posts use emoji.", percent(share("emojiShare"))));
    let tags = list("topHashtags");
    if tags.is_empty() {
        lines.push("- No hashtags.".to_owned());
    } else {
        lines.push(format!("- {}% of posts use hashtags, such as {}.", percent(share("hashtagShare")), tags.join(" ")));
    }
    let phrases = list("frequentPhrases");
    if !phrases.is_empty() {
        let quoted: Vec<String> = phrases.iter().map(|p| format!("\"{p}\"")).collect();
        lines.push(format!("- Recurring phrases: {}.", quoted.join(", ")));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str, engagement: Option<Json>) -> Sample {
        Sample { id: Uuid::new_v4(), text: text.to_owned(), engagement }
    }

    #[test]
    fn features_of_a_post() {
        let f = Features::of("Shipping day! Who else ships on Fridays? 🚀 #buildinpublic #Rust @ferris https://x.dev");
        assert_eq!(f.hashtags, ["#buildinpublic", "#rust"]);
        assert_eq!(f.mentions, 1);
        assert_eq!(f.links, 1);
        assert_eq!(f.emoji, 1);
        assert_eq!(f.questions, 1);
        assert_eq!(f.exclamations, 1);
        assert_eq!(f.sentences, 2);
        assert_eq!(f.words, 7);
        assert!(f.reading_grade >= 0.0);
    }

    #[test]
    fn phrases_said_twice_are_kept() {
        let f = Features::of("Ship it today. Ship it now. Then ship it again.");
        assert!(f.phrases.contains(&"ship it".to_owned()), "{:?}", f.phrases);
    }

    #[test]
    fn reading_level_rises_with_long_words() {
        let simple = Features::of("I ran. The dog sat. We ate.");
        let dense =
            Features::of("Organisational interoperability necessitates comprehensive institutional considerations.");
        assert!(dense.reading_grade > simple.reading_grade + 5.0);
    }

    #[test]
    fn too_few_samples() {
        let samples = [sample("One post.", None), sample("   ", None), sample("Two posts.", None)];
        assert_eq!(train(&samples).err(), Some(TrainError::TooFewSamples { found: 2 }));
    }

    #[test]
    fn training_ranks_by_engagement_and_validates() {
        let samples: Vec<Sample> = (0..10)
            .map(|i| {
                sample(
                    &format!("Build in public, day {i}. What did you ship? #buildinpublic"),
                    Some(json!({ "likes": i })),
                )
            })
            .collect();
        let trained = train(&samples).unwrap();
        assert_eq!(trained.held_out, 2);
        assert_eq!(trained.training_count, 8);
        let best = trained.ranks.iter().find(|(_, r)| *r == 1).unwrap().0;
        assert_eq!(best, samples[9].id);
        assert_eq!(trained.examples[0], samples[9].text);
        assert!(trained.validation_score > 0.9, "{}", trained.validation_score);
        assert!(prompt_profile(&trained.profile).contains("#buildinpublic"));
        assert!(prompt_profile(&trained.profile).contains("\"build in public\""));
    }

    #[test]
    fn unlike_held_out_samples_score_low() {
        let mut samples: Vec<Sample> = (0..4).map(|i| sample(&format!("Short take {i}."), None)).collect();
        // The fifth is held out and unlike the rest.
        samples.push(sample(
            &"A very long winded consideration of organisational interoperability! 🚀🚀 #a #b #c @x @y ".repeat(4),
            None,
        ));
        let trained = train(&samples).unwrap();
        assert_eq!(trained.held_out, 1);
        assert!(trained.validation_score < 0.5, "{}", trained.validation_score);
    }
}
