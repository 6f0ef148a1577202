Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.8".freeze
  s.add_development_dependency(%q<minitest>.freeze, ["~> 5.0"])
end
