"""The side-by-side chapter's code: three implementations of LeNet-5, compared.

``registry`` names the implementations (the one place that lists them),
``runs`` keeps finished training runs for later chapters, ``side_by_side``
trains and compares them and draws the chapter's figures,
``framework_costs`` measures speed and memory, ``seed_spread`` reads the
spread of accuracies over seeds, and ``speed_plots`` draws stored timings.
"""
