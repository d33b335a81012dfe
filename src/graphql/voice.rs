//! The creator's voice: training samples and trained models.
use entity::{voice_models, voice_training_data};

/// Samples of the creator's writing used to train their voice (seed 4.2).
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "voice_training_data", fetch, list, create, update, delete, me)]
pub struct VoiceTrainingSample {
    #[graphql(flatten)]
    pub row: voice_training_data::Model,
}

/// Trained voice models; at most one active per user (seed 4.3).
#[derive(Clone, async_graphql::SimpleObject, macros::Resource)]
#[resource(table = "voice_models", fetch, list, create, update, delete, me, live)]
pub struct VoiceModel {
    #[graphql(flatten)]
    pub row: voice_models::Model,
}
