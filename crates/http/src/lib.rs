//! httpscope-http (being written).
