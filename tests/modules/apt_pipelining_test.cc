// apt_pipelining: the snippet for false and 0-5, nothing for os, a warning
// for anything else.

#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using nubo::testing::ModuleHarness;

constexpr char kFile[] = "/etc/apt/apt.conf.d/90cloud-init-pipelining";

TEST(AptPipeliningTest, Values) {
  {
    ModuleHarness h(modules::apt_pipelining::kSpec);
    ASSERT_TRUE(h.RunYaml("apt_pipelining: false\n").ok());
    EXPECT_EQ(h.sys.Read(kFile),
              "//Written by cloud-init per 'apt_pipelining'\nAcquire::http::Pipeline-Depth \"0\";\n");
    EXPECT_EQ(h.sys.ModeOf(kFile), 0644u);
  }
  {
    ModuleHarness h(modules::apt_pipelining::kSpec);
    ASSERT_TRUE(h.RunYaml("apt_pipelining: 3\n").ok());
    EXPECT_NE(h.sys.Read(kFile).find("\"3\""), std::string::npos);
  }
  {
    ModuleHarness h(modules::apt_pipelining::kSpec);
    ASSERT_TRUE(h.RunYaml("apt_pipelining: OS\n").ok());
    EXPECT_FALSE(h.sys.Has(kFile));
    ASSERT_TRUE(h.RunYaml("apt_pipelining: 9\n").ok());
    EXPECT_FALSE(h.sys.Has(kFile));
    EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "Invalid option for apt_pipelining: 9"));
  }
}

}  // namespace
}  // namespace nubo
