"""Planning: Erlang C / A, back-office workload, reinforcement and on-call shifts, the week's plan."""
