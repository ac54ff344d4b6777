# Run by cmake --install (install(SCRIPT ...)): writes tapegrad.pc for the
# prefix being installed to -- known only now, since --prefix overrides the
# configured one -- and installs it under DESTDIR like any other file.
set(TG_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
configure_file("@TG_PC_TEMPLATE@" "@TG_PC_OUTPUT@" @ONLY)
file(INSTALL "@TG_PC_OUTPUT@"
  DESTINATION "${CMAKE_INSTALL_PREFIX}/@CMAKE_INSTALL_LIBDIR@/pkgconfig")
