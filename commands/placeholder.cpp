namespace promotebot::commands {}
