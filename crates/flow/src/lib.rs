//! httpscope-flow (being written).
