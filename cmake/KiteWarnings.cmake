# Warning flags shared by every Kite target: kite_warnings is an interface target to link.
add_library(kite_warnings INTERFACE)
target_compile_options(kite_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough
  $<$<BOOL:${KITE_WERROR}>:-Werror>)
