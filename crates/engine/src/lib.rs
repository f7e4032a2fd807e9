//! httpscope-engine (being written).
