namespace promotebot::testing {}
