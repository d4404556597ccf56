#!/usr/bin/env bash
# Installs the Debian packages natosim needs, only those that are missing.
# Idempotent: when everything is present it returns at once without touching apt.
set -euo pipefail

packages=(
  build-essential cmake git
  libeigen3-dev libtbb-dev libhdf5-dev hdf5-tools catch2 libtomlplusplus-dev libcli11-dev
  libfmt-dev librandom123-dev libopenmpi-dev openmpi-bin
  python3 python3-h5py python3-numpy python3-matplotlib python3-xarray python3-netcdf4 python3-h5netcdf
  python3-pytest
  chromium chromium-driver python3-selenium
  jupyter-nbconvert python3-ipykernel python3-nbformat
  clang-format clang clang-tidy libclang-rt-14-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "natosim: installing missing Debian packages: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "natosim: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
