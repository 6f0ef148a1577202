# This file was created by mkconfig.rb when ruby was built.
module RbConfig
  RUBY_VERSION.start_with?("3.1.") or
    raise "ruby lib version (3.1.4) doesn't match executable version (#{RUBY_VERSION})"
  CONFIG = {}
  CONFIG["MAJOR"] = "3"
  CONFIG["MINOR"] = "1"
  CONFIG["TEENY"] = "4"
  CONFIG["PATCHLEVEL"] = "223"
  CONFIG["RUBY_PROGRAM_VERSION"] = "3.1.4"
  CONFIG["RUBY_API_VERSION"] = "3.1"
end
