//! httpscope-wire (being written).
