//! httpscope-output (being written).
