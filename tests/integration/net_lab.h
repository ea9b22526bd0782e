// A network namespace of its own for a test's devices, joined to the host by a veth pair: the
// devices dial kited (or a FaultProxy in front of it) across a real link that a test can cut.
// Taking the host's end of the link down makes every packet between the two sides vanish, with
// no FIN and no RST on either side: a device that lost power, a cellular link gone dead, a NAT
// that forgot the flow.
//
//   host (the test, kited)  10.H.L.(4k+1)  <-- veth -->  10.H.L.(4k+2)  lab namespace (devices)
//
// H.L is made from the test process's pid and k counts the labs it made, so concurrent test
// processes never share an interface name or a subnet. The destructor deletes the namespace, and
// with it both ends of the pair, even when the test failed; labs left by a test process that is
// gone (killed mid-test) are deleted by the next lab made.
//
// Needs root (CAP_NET_ADMIN) and the `ip` command (iproute2).
#pragma once

#include <string>

namespace kite::it {

class NetLab {
 public:
  NetLab();
  ~NetLab();
  NetLab(const NetLab&) = delete;
  NetLab& operator=(const NetLab&) = delete;

  // The host's end of the link: where kited or a proxy listens for the lab's devices.
  const std::string& host_address() const { return host_address_; }
  // The devices' end, inside the lab.
  const std::string& lab_address() const { return lab_address_; }

  // Moves the calling thread into the lab: sockets it opens from now on are the lab's. Only the
  // thread (a device loop's), not the process.
  void enter() const;

  // The link down (every packet between host and lab vanishes) or up again.
  void set_link(bool up);

 private:
  std::string name_;  // of the namespace; also the prefix of the interfaces'
  std::string host_interface_, lab_interface_;
  std::string host_address_, lab_address_;
  int namespace_fd_ = -1;
};

}  // namespace kite::it
