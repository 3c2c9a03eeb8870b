#include <iostream>

#include "bot/main/cli.hpp"

int main(int argc, char** argv) { return promotebot::bot::run_cli(argc, argv, std::cin, std::cout, std::cerr); }
