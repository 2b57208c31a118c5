#include "layers.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include "problem.hpp"

namespace svertka::bench {

std::vector<Layer> read_layers(const std::string& path, Layout layout) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<Layer> layers;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#' || line.rfind("name,", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    const std::string where = path + ":" + std::to_string(number);
    if (cells.size() != 14) throw std::runtime_error(where + ": expected 14 columns");
    Layer l;
    l.name = cells[0];
    if (cells[1] != "conv" && cells[1] != "deconv") {
      throw std::runtime_error(where + ": op must be conv or deconv");
    }
    l.op = cells[1] == "conv" ? Op::conv2d : Op::conv_transpose2d;
    int64_t v[12];
    for (int i = 0; i < 12; ++i) {
      std::size_t used = 0;
      try {
        v[i] = std::stoll(cells[i + 2], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != cells[i + 2].size()) {
        throw std::runtime_error(where + ": column " + std::to_string(i + 3) + " is not an integer");
      }
    }
    ConvParams& p = l.params;
    p.batch = v[0];
    p.in_channels = v[1];
    p.in_height = v[2];
    p.in_width = v[3];
    p.out_channels = v[4];
    p.kernel_h = v[5];
    p.kernel_w = v[6];
    p.stride_h = p.stride_w = v[7];
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = v[8];
    p.dilation_h = p.dilation_w = v[9];
    p.groups = v[10];
    p.output_padding_h = p.output_padding_w = v[11];
    p.layout = layout;
    try {
      output_size(l.op, p);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(where + ": " + e.what());
    }
    layers.push_back(l);
  }
  return layers;
}

Layer parse_problem(const std::string& text, Layout layout) {
  std::string rest = text;
  Layer l;
  l.name = text;
  if (rest.rfind("deconv:", 0) == 0) {
    l.op = Op::conv_transpose2d;
    rest = rest.substr(7);
  } else if (rest.rfind("conv:", 0) == 0) {
    rest = rest.substr(5);
  }
  std::map<std::string, int64_t> v;
  for (std::size_t i = 0; i < rest.size();) {
    if (rest[i] == '_') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < rest.size() && std::isalpha(static_cast<unsigned char>(rest[j]))) ++j;
    const std::string key = rest.substr(i, j - i);
    if (key == "n") {  // the name, to the end, quotes optional
      std::string name = rest.substr(j);
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
        name = name.substr(1, name.size() - 2);
      }
      l.name = name;
      break;
    }
    std::size_t k = j;
    while (k < rest.size() && std::isdigit(static_cast<unsigned char>(rest[k]))) ++k;
    const auto& keys = problem_keys();
    if (key.empty() || std::find(keys.begin(), keys.end(), key) == keys.end() || k == j) {
      throw std::runtime_error("problem \"" + text + "\": bad key at \"" + rest.substr(i) + "\"");
    }
    try {
      v[key] = std::stoll(rest.substr(j, k - j));
    } catch (const std::out_of_range&) {
      throw std::runtime_error("problem \"" + text + "\": " + key + " out of range");
    }
    i = k;
  }
  auto get = [&](const char* key, int64_t fallback) { return v.count(key) ? v[key] : fallback; };
  for (const char* required : {"ic", "oc", "ih", "kh"}) {
    if (!v.count(required)) {
      throw std::runtime_error("problem \"" + text + "\": missing " + required);
    }
  }
  ConvParams& p = l.params;
  p.groups = get("g", 1);
  p.batch = get("mb", 1);
  p.in_channels = v["ic"];
  p.out_channels = v["oc"];
  p.in_height = v["ih"];
  p.in_width = get("iw", p.in_height);
  p.kernel_h = v["kh"];
  p.kernel_w = get("kw", p.kernel_h);
  p.stride_h = get("sh", 1);
  p.stride_w = get("sw", p.stride_h);
  p.pad_top = p.pad_bottom = get("ph", 0);
  p.pad_left = p.pad_right = get("pw", p.pad_top);
  p.dilation_h = get("dh", 0) + 1;
  p.dilation_w = get("dw", p.dilation_h - 1) + 1;
  p.layout = layout;
  Extent out;
  try {
    out = output_size(l.op, p);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("problem \"" + text + "\": " + e.what());
  }
  if ((v.count("oh") && v["oh"] != out.height) || (v.count("ow") && v["ow"] != out.width)) {
    throw std::runtime_error("problem \"" + text + "\": oh/ow disagree with the output size " +
                             std::to_string(out.height) + "x" + std::to_string(out.width));
  }
  return l;
}

const std::vector<std::string>& problem_keys() {
  static const std::vector<std::string> keys{"g",  "mb", "ic", "ih", "iw", "oc", "oh", "ow",
                                             "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw"};
  return keys;
}

Floats random_floats(std::size_t n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  Floats v(n);
  for (float& x : v) x = d(rng);
  return v;
}

Layer sampled(const Layer& layer, double max_flops, double* fraction) {
  Layer s = layer;
  ConvParams& p = s.params;
  p.batch = 1;
  auto work = [&] { return flops(make_problem(s.op, p)); };
  while (work() > max_flops) {
    if (p.groups > 1) {
      const int64_t cg = p.in_channels / p.groups, kg = p.out_channels / p.groups;
      p.groups = (p.groups + 1) / 2;
      p.in_channels = cg * p.groups;
      p.out_channels = kg * p.groups;
    } else if (p.out_channels > 1) {
      p.out_channels = (p.out_channels + 1) / 2;
    } else {
      break;
    }
    if (p.groups == 1 && p.out_channels == 1) break;
  }
  *fraction = work() / flops(make_problem(layer.op, layer.params));
  return s;
}

}  // namespace svertka::bench
