//! Content: the sources watched, the trends found, the drafts written from them, how the
//! drafts performed, and what retention keeps of them. These tables refer to one another both
//! ways (a trend lists its drafts, a draft names its trend), so they form one domain.
pub mod archive;
pub mod crawl;
pub mod drafts;
pub mod performance;
pub mod trends;
