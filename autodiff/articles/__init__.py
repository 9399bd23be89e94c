"""Teaching material: the articles' running example (`gradient_descent`) and its tables (`tables`).

from autodiff.articles import gradient_descent as article
g = article.forward(article.weights(), *article.PATIENTS[2])
"""
