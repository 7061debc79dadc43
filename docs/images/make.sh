#!/usr/bin/env bash
# Redraws the charts in docs/images from the grid CSVs in docs/images/data (see README.md there for where each came
# from). Runs no experiment: `WorldExperiments --charts-from` only reads the CSVs and renders.
set -euo pipefail
cd "$(dirname "$0")/../.."
images=docs/images
data=$images/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build -c Release samples/WorldExperiments -v q -nologo > /dev/null
charts() { # charts NAME NOTE CSV[,CSV...]: render into $work/NAME
  dotnet samples/WorldExperiments/bin/Release/net10.0/WorldExperiments.dll --charts-from "$3" --out "$work/$1" --chart-note "$2" > /dev/null
}
charts sft "attack lr 6e-5 × 4 epochs, cosine" $data/sft-seeds.csv
charts lisa "attack lr 1e-4 × 4 epochs, cosine" $data/lisa.csv
charts toss "attack lr 6e-5 × 4 epochs, cosine, token-mean loss" $data/toss.csv
d=$data/defenses
charts defenses "attack lr 6e-5 × 4 epochs, cosine" $d/pharmacist.csv,$d/vaccine.csv,$d/t-vaccine.csv,$d/repnoise.csv,$d/booster.csv,$d/booster-lambda.csv
charts antidote-large "attack lr 1e-4 × 4 epochs, cosine; seeds 1–3" $data/antidote-large-lr.csv
charts antidote-weak "attack lr 6e-5 × 4 epochs, cosine" $data/antidote-weak.csv
charts antidote-default "default attack lr 1.5e-4 × 1 epoch; seeds 1–3" $data/antidote-default.csv
charts defenses-v5 "default attack lr 1.5e-4 × 1 epoch; world v5" $data/defenses-v5-s3.csv
charts defenses-v5-s1 "default attack lr 1.5e-4 × 1 epoch; world v5" $data/defenses-v5-s1.csv
charts defenses-v5-s2 "default attack lr 1.5e-4 × 1 epoch; world v5" $data/defenses-v5-s2.csv
charts defenses-v5-seeds "default attack lr 1.5e-4 × 1 epoch; world v5, seeds 1–3" $data/defenses-v5-s1.csv,$data/defenses-v5-s2.csv,$data/defenses-v5-s3-sweep.csv
charts booster-v5-s2 "default attack lr 1.5e-4 × 1 epoch; world v5, seed 2" $data/booster-v5-s2.csv
charts toss-v5 "default attack lr 1.5e-4 × 1 epoch; world v5" $data/toss-v5.csv
charts pharmacist-v5-avx512 "default attack; world v5, AVX-512 box" $data/pharmacist-v5-avx512.csv
dotnet samples/WorldExperiments/bin/Release/net10.0/WorldExperiments.dll --histogram-from $data/risk-histogram-s1-p0.2-toss-lr0.001.csv \
  --out "$work" --chart-note "seed 1, p = 0.2, SFT-aligned model, reference lr 1e-3, d = 0.1" > /dev/null
cp "$work/risk-histogram-s1-p0.2-toss-lr0.001.png" $images/toss-risk-histogram.png
cp "$work/sft/hs-vs-p.png" $images/sft-hs-vs-p.png
cp "$work/lisa/hs-vs-p.png" $images/lisa-hs-vs-p.png
cp "$work/toss/hs-vs-p.png" $images/toss-hs-vs-p.png
cp "$work/defenses-v5-s1/hs-vs-p.png" $images/defenses-v5-s1-hs-vs-p.png
cp "$work/defenses-v5-s1/alignment-time.png" $images/defenses-v5-s1-alignment-time.png
cp "$work/defenses-v5-s2/hs-vs-p.png" $images/defenses-v5-s2-hs-vs-p.png
cp "$work/toss-v5/hs-vs-p.png" $images/toss-v5-hs-vs-p.png
cp "$work/defenses-v5-seeds/hs-vs-p.png" $images/defenses-v5-seeds-hs-vs-p.png
cp "$work/booster-v5-s2/hs-vs-p.png" $images/booster-v5-s2-hs-vs-p.png
cp "$work/defenses/hs-vs-fa.png" $images/defenses-hs-vs-fa.png
cp "$work/defenses-v5/hs-vs-p.png" $images/defenses-v5-s3-hs-vs-p.png
cp "$work/defenses-v5/alignment-time.png" $images/defenses-v5-s3-alignment-time.png
cp "$work/defenses/alignment-time.png" $images/defenses-alignment-time.png
cp "$work/antidote-large/hs-vs-fa.png" $images/antidote-large-lr-hs-vs-fa.png
cp "$work/antidote-weak/hs-vs-fa.png" $images/antidote-weak-hs-vs-fa.png
cp "$work/antidote-default/hs-vs-p.png" $images/antidote-default-hs-vs-p.png
cp "$work/antidote-large/hs-vs-p.png" $images/antidote-large-lr-hs-vs-p.png
cp "$work/pharmacist-v5-avx512/alignment-time.png" $images/pharmacist-v5-avx512-alignment-time.png
ls -l $images/*.png
