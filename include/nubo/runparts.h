// runparts.h — user shell scripts: the script text bootcmd and runcmd write
// (cloud-init's util.shellify) and running a directory of scripts in order
// (cloud-init's subp.runparts), shared by the scripts_* modules.
//
//   auto text = Shellify(Get(ctx.config, "runcmd"), "runcmd");
//   if (!text) return text.error();      // "runcmd[2]: Unable to shellify ..."
//   ctx.sys.WriteFile(path, *text, {.mode = 0700});
//
//   Status s = RunParts(ctx.sys, ctx.log, ctx.paths.ScriptsDir("per-boot"));
//   // error: "Runparts: 1 failures (b.sh) in 2 attempted commands"
#pragma once

#include <string>

#include "nubo/log.h"
#include "nubo/module.h"
#include "nubo/result.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo {

// "#!/bin/sh\n" and one line per item of `commands`: a string verbatim, a
// list as its items single-quoted (str() of scalars) and joined by spaces;
// null items are skipped. `key` names the config key in errors ("bootcmd",
// "bootcmd[3]"). Not a list, or an item that is neither string, list nor
// null, is an error as in cloud-init.
Result<std::string> Shellify(const Value& commands, const std::string& key);

// Runs every executable regular file (symlinks followed) in `dir`, sorted by
// name, each as its own argv with output to the output log. Failures are
// counted and reported together after all ran. A missing directory is not
// an error (nothing to run).
Status RunParts(System& sys, const Logger& log, const std::string& dir);

// The body of the scripts_* modules: RunParts on `dir`, and on failure
// cloud-init's warning "Failed to run module <name> (<label> in <dir>)".
Status RunScriptsModule(ModuleContext& ctx, const std::string& label, const std::string& dir);

}  // namespace nubo
