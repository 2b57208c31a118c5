set terminal svg size 1400,600 dynamic font 'sans,11'
set termoption noenhanced
set output 'svertka-bench-results/chart.svg'
set title 'GFLOP/s per layer: svertka beside oneDNN, the FMA peak as a line'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -50 scale 0 font ',9'
set ylabel 'GFLOP/s'
set yrange [0:93.4993]
set grid ytics
set key top right
set arrow from graph 0, first 0 to graph 1, first 0 nohead dt 2 lw 2 lc rgb '#aa0000'
set label 'FMA peak 0' at graph 0.01, first 0 tc rgb '#aa0000'
plot 'svertka-bench-results/chart.dat' using 2:xtic(1) title 'svertka' lc rgb '#2a6f97', '' using 3 title 'oneDNN' lc rgb '#c0c0c0'
