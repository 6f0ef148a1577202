# -*- encoding: utf-8 -*-
# stub: rails 7.1.2 ruby lib

Gem::Specification.new do |s|
  s.name = "rails".freeze
  s.version = "7.1.2".freeze
  s.licenses = ["MIT".freeze]
  s.installed_by_version = "3.4.19".freeze if s.respond_to? :installed_by_version

  s.specification_version = 4

  s.add_runtime_dependency(%q<rack>.freeze, [">= 2.2.4"])
  s.add_runtime_dependency(%q<activesupport>.freeze, ["= 7.1.2"])
  s.add_runtime_dependency(%q<net-protocol>.freeze, [">= 0"])
  s.add_dependency(%q<rack>.freeze, [">= 2.2.4"])
  s.add_development_dependency(%q<rake>.freeze, [">= 12.2"])
end
