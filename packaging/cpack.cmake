# cpack.cmake — install rules and Debian packages (CPack DEB), included from the top CMakeLists.
#
# Three packages from one build, as CPack components, because they go to three kinds of machine:
#   lontar-server  the central server: binary, systemd unit, /etc/lontar/server.toml, `lontar` user
#   lontar-agent   an office laptop: binary, the sync-loop unit, /etc/default/lontar-agent
#   lontar-audit   an auditor's workstation: the binary only
# An office laptop then carries no server, an auditor no service at all.
# Build them with `cpack -G DEB` in the build folder (or `ninja package`); see tests/packaging/.

include(GNUInstallDirs)

# ---- install rules (prefix /usr when packaging; absolute paths for /etc and systemd) ----
install(TARGETS lontar-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
install(TARGETS lontar-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agent)
install(TARGETS lontar-audit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT audit)

set(lontar_unit_dir /lib/systemd/system)  # Debian 12 packages ship units here
install(FILES ${CMAKE_CURRENT_LIST_DIR}/lontar-server.service DESTINATION ${lontar_unit_dir} COMPONENT server)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/lontar-agent.service DESTINATION ${lontar_unit_dir} COMPONENT agent)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/etc/server.toml DESTINATION /etc/lontar COMPONENT server
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/etc/lontar-agent.default DESTINATION /etc/default RENAME lontar-agent
        COMPONENT agent)
install(FILES ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT server
        OPTIONAL)

# ---- CPack ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lontar)
set(CPACK_PACKAGE_VENDOR "Lontar")
set(CPACK_PACKAGE_CONTACT "Lontar maintainers <lontar@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server agent audit)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # lontar-server_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/lontar")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # maintainer scripts 0755, conffiles 0644

# Runtime Depends from the binaries' shared libraries (dpkg-shlibdeps, package dpkg-dev):
# libssl3, libsqlite3-0, libfmt9, libspdlog1.10-fmt9 (provided by libspdlog1.10), libtomlplusplus3,
# libstdc++6, libc6... at the versions built against.
find_program(LONTAR_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(LONTAR_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  message(STATUS "dpkg-shlibdeps not found (package dpkg-dev): .deb Depends are the fixed list in packaging/cpack.cmake")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libstdc++6, libssl3, libsqlite3-0, libfmt9, libspdlog1.10, libtomlplusplus3")
endif()

set(lontar_deb ${CMAKE_CURRENT_LIST_DIR}/deb)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME lontar-server)
set(CPACK_DEBIAN_SERVER_DESCRIPTION "Lontar sync server: the central log of an offline-first ledger
Keeps the RFC 6962 Merkle log of every office's entries with signed C2SP checkpoints, serves
offices and auditors over mutual TLS, and runs as the systemd service lontar-server.service.")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${lontar_deb}/server/conffiles ${lontar_deb}/server/postinst ${lontar_deb}/server/prerm
    ${lontar_deb}/server/postrm)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME lontar-agent)
set(CPACK_DEBIAN_AGENT_DESCRIPTION "Lontar office agent: record and sync a branch office's ledger offline
Records enrollments, contributions, claims and payouts in a local hash-chained store and syncs
them to the central server; lontar-agent.service runs the background sync loop.")
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
    ${lontar_deb}/agent/conffiles ${lontar_deb}/agent/postinst ${lontar_deb}/agent/prerm ${lontar_deb}/agent/postrm)

set(CPACK_DEBIAN_AUDIT_PACKAGE_NAME lontar-audit)
set(CPACK_DEBIAN_AUDIT_DESCRIPTION "Lontar auditor: verify a Lontar ledger independently of its server
Checks signatures, office chains, the Merkle tree and checkpoints, and re-derives every verdict.")

include(CPack)
