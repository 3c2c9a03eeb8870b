namespace promotebot::slack {}
