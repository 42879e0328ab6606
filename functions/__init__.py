"""One thin entry module per Lambda: parse, call one service function, return."""
