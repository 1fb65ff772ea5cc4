/** Configurations shared by engine tests (recording provider types). */

/** Two nameservers (a, b), each provisioned, checked, behind its own route, checked through it. */
export const BLUE_GREEN = `
variable "version" {
  type    = string
  default = "v1"
}

resource "test_instance" "ns" {
  for_each = toset(["a", "b"])
  name     = "ns-\${each.key}"
  image    = "debian12"

  lifecycle blue_green
}

resource "test_provision" "ns" {
  for_each = test_instance.ns
  host     = each.value
  script   = "deploy \${var.version}"
}

resource "test_check" "ns" {
  for_each = test_provision.ns
  target   = each.value.host.ipv4
  expect   = var.version
}

resource "test_route" "ns" {
  for_each = test_instance.ns
  targets  = ["\${each.value.ipv4}:53"]
}

resource "test_check" "lb" {
  for_each = test_route.ns
  target   = each.value.config
  expect   = var.version
}

output "targets" {
  value = [for k, r in test_route.ns : r.targets[0]]
}
`;
