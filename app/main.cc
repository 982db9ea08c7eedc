// careerbot: a retrieval chat bot about backend-developer careers.
#include "adapters/cli/cli.h"

int main(int argc, char** argv) { return adapters::cli::Main(argc, argv); }
