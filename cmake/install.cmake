# Installed like a tool of its ecosystem: `cmake --install` puts vmlab, its vm* links, the
# man page vmlab(1) and the bash and zsh completions under the prefix; `cpack` (in the build
# directory) makes a .deb of the same files. The man page and the completions are generated
# by the freshly linked binary from its own command table (`vmlab __generate man|bash|zsh`,
# src/cli/cmd_generate.cpp), so they list exactly the commands and options that exist.
# Uses VMLAB_LINKS (CMakeLists.txt).
include(GNUInstallDirs)

set(VMLAB_GEN ${CMAKE_BINARY_DIR}/generated)
set(gen_outputs ${VMLAB_GEN}/man/vmlab.1 ${VMLAB_GEN}/man/vmlab.1.gz
  ${VMLAB_GEN}/bash-completion/vmlab ${VMLAB_GEN}/zsh/_vmlab)
set(link_cmds "")
foreach(link ${VMLAB_LINKS})  # vmup(1) is vmlab(1); bash-completion loads a file per command
  list(APPEND link_cmds
    COMMAND ${CMAKE_COMMAND} -E create_symlink vmlab.1.gz ${VMLAB_GEN}/man/${link}.1.gz
    COMMAND ${CMAKE_COMMAND} -E create_symlink vmlab ${VMLAB_GEN}/bash-completion/${link})
endforeach()
add_custom_command(OUTPUT ${gen_outputs}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${VMLAB_GEN}/man ${VMLAB_GEN}/bash-completion
    ${VMLAB_GEN}/zsh
  COMMAND vmlab __generate man ${VMLAB_GEN}/man/vmlab.1
  COMMAND gzip -9nkf ${VMLAB_GEN}/man/vmlab.1
  COMMAND vmlab __generate bash ${VMLAB_GEN}/bash-completion/vmlab
  COMMAND vmlab __generate zsh ${VMLAB_GEN}/zsh/_vmlab
  ${link_cmds}
  DEPENDS vmlab
  COMMENT "Generating vmlab(1) and the bash/zsh completions from the command table"
  VERBATIM)
add_custom_target(vmlab_generated ALL DEPENDS ${gen_outputs})

# Where zsh finds the completion: Debian's zsh reads vendor-completions for packages (the
# .deb); for a /usr/local install pass -DVMLAB_ZSH_COMPLETION_DIR=share/zsh/site-functions.
set(VMLAB_ZSH_COMPLETION_DIR ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions CACHE STRING
  "zsh completion directory, relative to the prefix")

install(TARGETS vmlab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set(man_files ${VMLAB_GEN}/man/vmlab.1.gz)
set(bash_files ${VMLAB_GEN}/bash-completion/vmlab)
set(bin_links "")
foreach(link ${VMLAB_LINKS})  # symlinks, installed as symlinks
  list(APPEND bin_links ${CMAKE_BINARY_DIR}/${link})
  list(APPEND man_files ${VMLAB_GEN}/man/${link}.1.gz)
  list(APPEND bash_files ${VMLAB_GEN}/bash-completion/${link})
endforeach()
install(FILES ${bin_links} DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${man_files} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${bash_files} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${VMLAB_GEN}/zsh/_vmlab DESTINATION ${VMLAB_ZSH_COMPLETION_DIR})

# The .deb: `cpack -G DEB` in the build directory (tests/package/test_deb.sh checks it).
# Depends: the packages of the shared libraries vmlab links, found by dpkg-shlibdeps
# (libvirt0, libssh2-1, libisofs6, libfmt9, libboost-filesystem, libc6, libstdc++6, ...), plus
# the tools it runs: ssh and ssh-keygen (openssh-client). The hypervisor is a recommendation:
# vmlab may drive a remote libvirtd (VMLAB_LIBVIRT_URI) or VirtualBox instead.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vmlab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "vmlab maintainers <vmlab@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "declarative multi-node virtual machine labs from a Vmfile")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "declarative multi-node virtual machine labs from a Vmfile
 vmlab turns a Vmfile (TOML) into a lab of virtual machines: it creates them through
 libvirt/KVM or VirtualBox on copy-on-write disks, in parallel, reaches them over SSH and
 provisions them (shell, files, Docker, Kubernetes). vmup, vmssh, vmstatus, vmhalt,
 vmdestroy and vmprovision are links to vmlab.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # vmlab_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "openssh-client")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libvirt-daemon-system, qemu-system-x86, qemu-utils")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "virtualbox")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
