//! httpscope-capture (being written).
