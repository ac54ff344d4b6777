# Turns one page of docs/tg/ into a man page with go-md2man (Debian's
# go-md2man package). Run at build time:
#   cmake -DMD=docs/tg/grad.md -DOUT=tg-grad.1 -DTITLE=TG-GRAD -DVERSION=0.1.0 -P man.cmake
# The page's first line, "# tg-grad(1)", becomes the man header instead.
file(READ "${MD}" text)
string(REGEX REPLACE "^# [^\n]*\n" "" text "${text}")
# Links between the pages name the man pages, not the Markdown files.
string(REGEX REPLACE "\\[([^]]*)\\]\\(([a-z]+)\\.md\\)" "\\1" text "${text}")
file(WRITE "${OUT}.md" "% ${TITLE} 1 \"tapegrad ${VERSION}\" \"tapegrad\" \"tapegrad manual\"\n\n${text}")
execute_process(COMMAND go-md2man -in "${OUT}.md" -out "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "go-md2man failed on ${MD}")
endif()
file(REMOVE "${OUT}.md")
